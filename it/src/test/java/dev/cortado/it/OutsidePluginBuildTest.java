package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Builds the example plugins as their authors would in their own repositories: a copy of each
 * example outside this repository, built with {@code mvnw -f <copy>/pom.xml verify} against
 * Cortado's artifacts in a local Maven repository, with no Cortado parent pom and no test-data
 * property. The artifacts are this build's jars, laid out in a temporary local repository (never
 * the shared {@code ~/.m2}, which stays a read-only tail for third-party artifacts).
 */
class OutsidePluginBuildTest {
  private static final List<String> EXAMPLES = List.of("sqlite-db-plugin", "operator-plugin");

  /** What each example's tests must have run: test class -> at least this many tests. */
  private static final Map<String, Integer> EXPECTED_TESTS =
      Map.of(
          "com.example.cortado.sqlite.SqliteContractTest", 61,
          "com.example.cortado.normalize.NormalizeOpTest", 7);

  @Test
  void theExamplesBuildAndPassTheirTestsOutsideTheReactor(@TempDir Path tmp) throws Exception {
    Path root = Repo.root();
    Path repo = tmp.resolve("local-repo");
    Map<String, Path> installed = installCortado(root, repo);
    assertThat(installed)
        .as("Cortado artifacts installed into the temporary local repository")
        .containsKeys(
            "cortado-bom",
            "cortado-operator-api",
            "cortado-db-testkit",
            "cortado-operator-testkit");

    Path work = tmp.resolve("work");
    StringBuilder modules = new StringBuilder();
    for (String example : EXAMPLES) {
      Repo.copyTree(root.resolve("examples").resolve(example), work.resolve(example));
      modules.append("    <module>").append(example).append("</module>\n");
      assertThat(Files.readString(work.resolve(example).resolve("pom.xml")))
          .as(example + "/pom.xml is a standalone project")
          .doesNotContain("<parent>")
          .contains("<artifactId>cortado-bom</artifactId>");
    }
    // One Maven run for both (an aggregator only lists them; each pom stays standalone).
    Files.writeString(
        work.resolve("pom.xml"),
        """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>com.example.cortado</groupId>
          <artifactId>plugins</artifactId>
          <version>1</version>
          <packaging>pom</packaging>
          <modules>
        %s  </modules>
        </project>
        """
            .formatted(modules));
    for (Path dir = work; dir != null; dir = dir.getParent()) {
      assertThat(dir.resolve("testdata").resolve("bad-inputs"))
          .as("no test vectors above the copy: the testkit must bring its own")
          .doesNotExist();
    }

    List<String> argv = new ArrayList<>();
    argv.add(root.resolve("mvnw").toString());
    argv.add("-B");
    argv.add("-f");
    argv.add(work.resolve("pom.xml").toString());
    argv.add("-Dmaven.repo.local=" + repo);
    argv.add("-Dmaven.repo.local.tail=" + localRepository());
    if ("mode-true".equals(System.getProperty("cortado.offline"))) {
      argv.add("-o");
    }
    argv.add("verify");
    Repo.Result r = Repo.run(argv, String.join(" ", argv), work, Map.of("MAVEN_ARGS", ""), 540);

    assertThat(r.ok())
        .as(
            "%s\nexit %d%s\n%s",
            r.command(),
            r.exitCode(),
            r.timedOut() ? " (timed out)" : "",
            Repo.tail(r.output(), 8000))
        .isTrue();
    Map<String, Integer> ran = testsRun(work);
    EXPECTED_TESTS.forEach(
        (test, atLeast) ->
            assertThat(ran.getOrDefault(test, 0))
                .as("tests run in " + test + "; all: " + ran)
                .isGreaterThanOrEqualTo(atLeast));
    assertThat(work.resolve("sqlite-db-plugin/target/plugin/sqlite-jdbc-3.50.3.0.jar")).exists();
    assertThat(work.resolve("sqlite-db-plugin/target/plugin"))
        .as("the plugin folder holds no Cortado jar (Cortado provides its API)")
        .isDirectoryNotContaining("glob:**/cortado-operator-api*");
  }

  private static Path localRepository() {
    String configured = System.getProperty("cortado.localRepository");
    if (configured != null && !configured.isBlank() && !configured.startsWith("${")) {
      return Path.of(configured);
    }
    return Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /**
   * Lays out the Cortado artifacts the examples need (the BOM, the APIs, the testkits, their
   * Cortado dependencies and parent poms) in {@code repo}, as {@code mvn install} would: each
   * module's pom and packaged jar.
   */
  static Map<String, Path> installCortado(Path root, Path repo) throws Exception {
    Map<String, Path> modules = reactorModules(root);
    String version = Repo.version();
    Map<String, Path> installed = new TreeMap<>();
    Deque<String> todo =
        new ArrayDeque<>(
            List.of(
                "cortado-bom",
                "cortado-operator-api",
                "cortado-db-testkit",
                "cortado-operator-testkit"));
    while (!todo.isEmpty()) {
      String artifact = todo.pop();
      if (installed.containsKey(artifact)) {
        continue;
      }
      Path dir = modules.get(artifact);
      assertThat(dir)
          .as("module of dev.cortado:" + artifact + " in " + modules.keySet())
          .isNotNull();
      Element project = parse(dir.resolve("pom.xml")).getDocumentElement();
      Path target = repo.resolve("dev/cortado").resolve(artifact).resolve(version);
      Files.createDirectories(target);
      Files.copy(dir.resolve("pom.xml"), target.resolve(artifact + "-" + version + ".pom"));
      String packaging = text(project, "packaging");
      if (packaging == null || packaging.equals("jar")) {
        Path jar = dir.resolve("target").resolve(artifact + "-" + version + ".jar");
        assertThat(jar)
            .as(
                "the packaged jar of "
                    + artifact
                    + " (this test runs in the integration-test phase, after package)")
            .exists();
        Files.copy(jar, target.resolve(jar.getFileName()));
      }
      installed.put(artifact, dir);
      Element parent = child(project, "parent");
      if (parent != null && "dev.cortado".equals(text(parent, "groupId"))) {
        todo.push(text(parent, "artifactId"));
      }
      Element deps = child(project, "dependencies");
      if (deps != null) {
        for (Element dep : children(deps, "dependency")) {
          String scope = text(dep, "scope");
          boolean needed = scope == null || scope.equals("compile") || scope.equals("runtime");
          if ("dev.cortado".equals(text(dep, "groupId")) && needed) {
            todo.push(text(dep, "artifactId"));
          }
        }
      }
    }
    return installed;
  }

  /** artifactId -> module folder, for every pom.xml of the reactor. */
  static Map<String, Path> reactorModules(Path root) throws Exception {
    Map<String, Path> out = new LinkedHashMap<>();
    Deque<Path> dirs = new ArrayDeque<>(List.of(root));
    while (!dirs.isEmpty()) {
      Path dir = dirs.pop();
      Element project = parse(dir.resolve("pom.xml")).getDocumentElement();
      out.put(text(project, "artifactId"), dir);
      Element modules = child(project, "modules");
      if (modules != null) {
        for (Element m : children(modules, "module")) {
          dirs.push(dir.resolve(m.getTextContent().trim()).normalize());
        }
      }
    }
    return out;
  }

  /** Test class -> tests run, from every surefire report under {@code dir}. */
  private static Map<String, Integer> testsRun(Path dir) throws IOException {
    Pattern p =
        Pattern.compile("Tests run: (\\d+), Failures: 0, Errors: 0, Skipped: \\d+.* in (\\S+)");
    Map<String, Integer> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getParent().getFileName().toString().equals("surefire-reports")
            && f.toString().endsWith(".txt")) {
          Matcher m = p.matcher(Files.readString(f));
          while (m.find()) {
            out.merge(m.group(2), Integer.parseInt(m.group(1)), Integer::sum);
          }
        }
      }
    }
    return out;
  }

  static Document parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  static Element child(Element e, String name) {
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c && c.getTagName().equals(name)) {
        return c;
      }
    }
    return null;
  }

  static List<Element> children(Element e, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c && c.getTagName().equals(name)) {
        out.add(c);
      }
    }
    return out;
  }

  static String text(Element e, String name) {
    Element c = child(e, name);
    return c == null ? null : c.getTextContent().trim();
  }
}

package dev.cortado.it;

import static dev.cortado.it.OutsidePluginBuildTest.child;
import static dev.cortado.it.OutsidePluginBuildTest.children;
import static dev.cortado.it.OutsidePluginBuildTest.parse;
import static dev.cortado.it.OutsidePluginBuildTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/** cortado-bom pins exactly the artifacts that Cortado publishes, at the reactor's version. */
class BomTest {
  /** Reactor modules that are not published: tools and checks of this repository. */
  private static final Set<String> NOT_PUBLISHED =
      Set.of(
          "cortado-parent",
          "cortado-bom",
          "cortado-benchmarks",
          "cortado-reliability",
          "cortado-prefetch-stress",
          "cortado-it");

  @Test
  void theBomListsEveryPublishedArtifactAndNothingElse() throws Exception {
    Path root = Repo.root();
    Set<String> published = new TreeSet<>();
    for (Map.Entry<String, Path> m : OutsidePluginBuildTest.reactorModules(root).entrySet()) {
      Element project = parse(m.getValue().resolve("pom.xml")).getDocumentElement();
      String group = text(project, "groupId");
      if (group == null) {
        group = text(child(project, "parent"), "groupId");
      }
      boolean aggregator = "pom".equals(text(project, "packaging"));
      if (group.equals("dev.cortado") && !aggregator && !NOT_PUBLISHED.contains(m.getKey())) {
        published.add(m.getKey());
      }
    }

    Element bom = parse(root.resolve("bom/pom.xml")).getDocumentElement();
    Map<String, String> pinned = new TreeMap<>();
    for (Element dep :
        children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
      assertThat(text(dep, "groupId")).isEqualTo("dev.cortado");
      pinned.put(text(dep, "artifactId"), text(dep, "version"));
    }

    assertThat(pinned.keySet())
        .as("bom/pom.xml against the reactor's published modules")
        .isEqualTo(published);
    assertThat(pinned.values()).containsOnly("${project.version}");
    assertThat(text(bom, "version")).as("the BOM's version").isEqualTo(Repo.version());
    assertThat(child(bom, "parent"))
        .as("the BOM has no parent, so it pins nothing but Cortado")
        .isNull();
  }
}

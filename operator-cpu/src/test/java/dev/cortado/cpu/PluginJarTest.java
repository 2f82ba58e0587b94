package dev.cortado.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.cortado.db.DbReader;
import dev.cortado.db.memory.MemoryDbProvider;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin built here, in the test phase, outside every main module: a jar whose only link to
 * Cortado is {@code META-INF/services}. It adds the operator {@code PluginTriple} and the DB
 * backend {@code plugindb}; the runtime finds both and a net uses them.
 */
class PluginJarTest {
  static final String OPERATOR_SOURCE =
      """
      package com.example.plugin;

      import dev.cortado.operator.Gradient;
      import dev.cortado.operator.OperatorProvider;
      import dev.cortado.operator.OperatorRegistration;
      import dev.cortado.operator.OperatorSchema;
      import dev.cortado.tensor.Tensor;
      import java.util.Collection;
      import java.util.List;

      public final class TriplePlugin implements OperatorProvider {
        @Override
        public Collection<OperatorRegistration> operators() {
          OperatorSchema schema = OperatorSchema.builder("PluginTriple").numInputs(1).numOutputs(1)
              .allowInplace(0, 0).doc("Multiplies a float tensor by 3.")
              .gradient(Gradient.NO_GRADIENT).build();
          return List.of(OperatorRegistration.cpu(schema, ctx -> () -> {
            Tensor in = ctx.input(0, Tensor.class);
            Tensor out = Tensor.allocate(in.dataType(), in.dims());
            for (int i = 0; i < in.numel(); i++) {
              out.data().putFloat(i * 4, in.data().getFloat(i * 4) * 3);
            }
            ctx.output(0).set(out);
          }));
        }
      }
      """;

  static final String DB_SOURCE =
      """
      package com.example.plugin;

      import dev.cortado.db.Db;
      import dev.cortado.db.DbProvider;
      import dev.cortado.db.Mode;
      import dev.cortado.db.memory.MemoryDbProvider;
      import java.util.Set;

      public final class PluginDbProvider implements DbProvider {
        private final MemoryDbProvider memory = new MemoryDbProvider();

        @Override
        public String name() {
          return "plugindb";
        }

        @Override
        public Set<String> aliases() {
          return Set.of("PluginDB");
        }

        @Override
        public boolean storesAtPath() {
          return false;
        }

        @Override
        public Db open(String source, Mode mode) {
          return memory.open("plugindb:" + source, mode);
        }
      }
      """;

  /** Compiles the two plugin classes with javax.tools and packs them with their service files. */
  static Path buildPluginJar(Path dir) throws IOException {
    Path src = dir.resolve("src/com/example/plugin");
    Files.createDirectories(src);
    Files.writeString(src.resolve("TriplePlugin.java"), OPERATOR_SOURCE);
    Files.writeString(src.resolve("PluginDbProvider.java"), DB_SOURCE);
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    String classpath =
        String.join(
            java.io.File.pathSeparator,
            location(OperatorProvider.class),
            location(MemoryDbProvider.class),
            location(OperatorDef.class),
            location(Message.class));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean ok =
        javac
            .getTask(
                diagnostics,
                null,
                null,
                List.of("--release", "17", "-classpath", classpath, "-d", classes.toString()),
                null,
                javac
                    .getStandardFileManager(null, null, StandardCharsets.UTF_8)
                    .getJavaFileObjects(
                        src.resolve("TriplePlugin.java").toFile(),
                        src.resolve("PluginDbProvider.java").toFile()))
            .call();
    assertThat(ok).as("plugin compiles: %s", diagnostics).isTrue();
    Path jar = dir.resolve("cortado-test-plugin.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      put(
          out,
          "META-INF/services/dev.cortado.operator.OperatorProvider",
          "com.example.plugin.TriplePlugin\n".getBytes(StandardCharsets.UTF_8));
      put(
          out,
          "META-INF/services/dev.cortado.db.DbProvider",
          "com.example.plugin.PluginDbProvider\n".getBytes(StandardCharsets.UTF_8));
      try (Stream<Path> files = Files.walk(classes)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          put(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
        }
      }
    }
    return jar;
  }

  private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new JarEntry(name));
    OutputStream o = out;
    o.write(bytes);
    out.closeEntry();
  }

  private static String location(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T extends Message> T parse(String text, Message.Builder b)
      throws TextFormat.ParseException {
    TextFormat.merge(text, b);
    @SuppressWarnings("unchecked")
    T t = (T) b.build();
    return t;
  }

  @Test
  void pluginJarAddsAnOperatorAndABackendThroughServiceFilesAlone(@TempDir Path dir)
      throws Exception {
    Path jar = buildPluginJar(dir);
    assertThat(CpuTesting.RUNTIME.operators().types()).doesNotContain("PluginTriple");
    assertThat(CpuTesting.RUNTIME.dbs().find("plugindb")).isEmpty();
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {jar.toUri().toURL()}, PluginJarTest.class.getClassLoader())) {
      CortadoRuntime rt = CortadoRuntime.create(loader);
      assertThat(rt.operators().types()).contains("PluginTriple", "Cast", "Save");
      assertThat(rt.operators().provider("PluginTriple", 0, ""))
          .contains("com.example.plugin.TriplePlugin");
      assertThat(rt.operators().schema("PluginTriple").orElseThrow().doc())
          .isEqualTo("Multiplies a float tensor by 3.");
      assertThat(rt.dbs().names()).contains("plugindb", "minidb", "memory");
      try (Workspace ws = rt.newWorkspace(dir)) {
        ws.runNetOnce(
            parse(
                "name: 'write'"
                    + " op { type: 'GivenTensorFill' output: 'w' arg { name: 'shape' ints: 2 }"
                    + "   arg { name: 'values' floats: 1 floats: 2.5 } }"
                    + " op { type: 'PluginTriple' input: 'w' output: 'w' }"
                    + " op { type: 'Save' input: 'w' arg { name: 'db' s: 'model' }"
                    + "   arg { name: 'db_type' s: 'PluginDB' } }",
                NetDef.newBuilder()));
        ws.removeBlob("w");
        ws.runNetOnce(
            parse(
                "name: 'read'"
                    + " op { type: 'Load' output: 'w' arg { name: 'db' s: 'model' }"
                    + "   arg { name: 'db_type' s: 'plugindb' } }"
                    + " op { type: 'CreateDB' output: 'reader' arg { name: 'db' s: '"
                    + dir
                    + "/model' }"
                    + "   arg { name: 'db_type' s: 'plugindb' } }",
                NetDef.newBuilder()));
        assertThat(CpuTesting.floatsOf(ws.blob("w").get(Tensor.class))).containsExactly(3f, 7.5f);
        DbReader reader = ws.blob("reader").get(DbReader.class);
        assertThat(new String(reader.read().key(), StandardCharsets.UTF_8)).isEqualTo("w#%0");
      }
    }
  }
}

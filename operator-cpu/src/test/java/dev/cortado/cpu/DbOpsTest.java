package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbReader;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.operator.ArgumentException;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.SchemaException;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DbOpsTest {
  /** Writes records "k0".."k{n-1}" with values "v0".. to a new DB. */
  static void write(String type, String path, int n) {
    try (Db db = RUNTIME.dbs().open(type, path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      for (int i = 0; i < n; i++) {
        tx.put(
            ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
      }
      tx.commit();
    }
  }

  static String key(DbReader.Record r) {
    return new String(r.key(), StandardCharsets.UTF_8);
  }

  @Test
  void createDbOpensAReaderAndReopensItOnEveryRun(@TempDir Path dir) {
    String path = dir.resolve("d.minidb").toString();
    write("minidb", path, 4);
    try (Workspace ws = workspace()) {
      ws.createNet(
          net(
              "name: 'init' op { type: 'CreateDB' output: 'reader'"
                  + " arg { name: 'db_type' s: 'MiniDB' } arg { name: 'db' s: '"
                  + path
                  + "' } }"));
      ws.runNet("init");
      DbReader first = ws.blob("reader").get(DbReader.class);
      assertThat(key(first.read())).isEqualTo("k0");
      assertThat(key(first.read())).isEqualTo("k1");
      ws.runNet("init");
      DbReader second = ws.blob("reader").get(DbReader.class);
      assertThat(second).isNotSameAs(first);
      assertThat(key(second.read())).isEqualTo("k0");
      // The previous reader was closed before the new one opened.
      assertThatThrownBy(first::read).isInstanceOf(DbException.class);
    }
  }

  @Test
  void createDbAndCreateCounterAlsoRunInACudaNet(@TempDir Path dir) {
    String path = dir.resolve("d.minidb").toString();
    write("minidb", path, 2);
    try (Workspace ws = workspace()) {
      ws.runNetOnce(
          net(
              "name: 'gpu_init' device_option { device_type: 1 }"
                  + " op { type: 'CreateDB' output: 'r' arg { name: 'db_type' s: 'minidb' }"
                  + "   arg { name: 'db' s: '"
                  + path
                  + "' } }"
                  + " op { type: 'CreateCounter' output: 'c' arg { name: 'init_count' i: 3 } }"));
      assertThat(key(ws.blob("r").get(DbReader.class).read())).isEqualTo("k0");
      assertThat(ws.blob("c").get(Counter.class).retrieve()).isEqualTo(3);
    }
  }

  @Test
  void createDbShards(@TempDir Path dir) {
    String path = dir.resolve("d.minidb").toString();
    write("minidb", path, 10);
    try (Workspace ws = workspace()) {
      ws.runOperatorOnce(
          op(
              "type: 'CreateDB' output: 'r' arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'db' s: '"
                  + path
                  + "' } arg { name: 'num_shards' i: 3 }"
                  + " arg { name: 'shard_id' i: 1 }"));
      DbReader r = ws.blob("r").get(DbReader.class);
      assertThat(key(r.read())).isEqualTo("k1");
      assertThat(key(r.read())).isEqualTo("k4");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'CreateDB' output: 'r'"
                              + " arg { name: 'db_type' s: 'minidb' } arg { name: 'db' s: '"
                              + path
                              + "' }"
                              + " arg { name: 'num_shards' i: 2 } arg { name: 'shard_id' i: 2 }")))
          .hasMessageContaining("found num_shards=2, shard_id=2");
    }
  }

  @Test
  void createDbArgumentErrors() {
    assertThat(CreateDbOp.SCHEMA.argument("db_type").orElseThrow().defaultValue())
        .isEqualTo("leveldb");
    try (Workspace ws = workspace()) {
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'CreateDB' output: 'r'")))
          .isInstanceOf(SchemaException.class)
          .hasMessageContaining("required argument 'db' is missing");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'CreateDB' output: 'r'"
                              + " arg { name: 'db' s: '' } arg { name: 'db_type' s: 'memory' }")))
          .isInstanceOf(ArgumentException.class)
          .hasMessageContaining("must specify a db name");
      assertThatThrownBy(
              () ->
                  ws.createNet(
                      net(
                          "name: 'init' op { type: 'CreateDB' output: 'r'"
                              + " arg { name: 'db' s: 'x' } arg { name: 'db_type' s: 'lmbd' } }")))
          .isInstanceOf(DbException.class)
          .hasMessageContaining("unknown db_type 'lmbd'; known: [")
          .hasMessageContaining("dev.cortado.db.DbProvider");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'CreateDB' output: 'r'"
                              + " arg { name: 'db' s: '/no/such/file.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .isInstanceOf(OperatorRunException.class)
          .hasMessageContaining("/no/such/file.minidb")
          .hasCauseInstanceOf(DbException.class);
    }
  }

  @Test
  void dbExists(@TempDir Path root) {
    write("minidb", root.resolve("there.minidb").toString(), 1);
    try (Workspace ws = workspace(root)) {
      Tensor yes =
          runOp(
              ws,
              "type: 'DBExists' output: 'e' arg { name: 'db_name' s: 'there.minidb' }"
                  + " arg { name: 'db_type' s: 'minidb' }",
              "e");
      assertThat(yes.rank()).isZero();
      assertThat(yes.data().get(0)).isEqualTo((byte) 1);
      Tensor no =
          runOp(
              ws,
              "type: 'DBExists' output: 'e' arg { name: 'db_name' s: 'missing.minidb' }"
                  + " arg { name: 'db_type' s: 'minidb' }",
              "e");
      assertThat(no.data().get(0)).isZero();
      Tensor abs =
          runOp(
              ws,
              "type: 'DBExists' output: 'e' arg { name: 'absolute_path' i: 1 }"
                  + " arg { name: 'db_name' s: '"
                  + root.resolve("there.minidb")
                  + "' }"
                  + " arg { name: 'db_type' s: 'minidb' }",
              "e");
      assertThat(abs.data().get(0)).isEqualTo((byte) 1);
      // Caffe2 answers true for an unknown type; Cortado says what is wrong.
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'DBExists' output: 'e'"
                              + " arg { name: 'db_name' s: 'x' } arg { name: 'db_type' s: 'nosuch' }")))
          .hasMessageContaining("unknown db_type 'nosuch'");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'DBExists' output: 'e'" + " arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("'db_name' is missing or empty");
    }
  }
}

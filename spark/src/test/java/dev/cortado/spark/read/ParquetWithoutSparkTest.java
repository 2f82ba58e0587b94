package dev.cortado.spark.read;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.testkit.FixtureFiles;
import dev.cortado.db.testkit.TestData;
import dev.cortado.spark.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Parquet baseline does the work {@code spark-convert --format parquet} does: its files hold
 * exactly the rows the connector reads from the DB, in the {@code tensors} schema, one file per key
 * range.
 */
class ParquetWithoutSparkTest {
  @TempDir Path tmp;

  @Test
  void writesTheConnectorsRowsAsOneParquetFilePerKeyRange() throws Exception {
    Path db = FixtureFiles.copy(TestData.root().resolve("fmnist-mini/lmdb"), tmp.resolve("db"));
    Path out = tmp.resolve("parquet");

    ParquetWithoutSpark.Result r = ParquetWithoutSpark.run(db.toString(), "lmdb", out, 3, 2);

    SparkSession spark = LocalSpark.get();
    Dataset<Row> expected =
        spark.read().format("tensorprotos").option("db_type", "lmdb").load(db.toString());
    Dataset<Row> written = spark.read().parquet(out.toString());
    assertThat(r.records()).isEqualTo(expected.count()).isPositive();
    assertThat(r.files()).isEqualTo(3);
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet")).count()).isEqualTo(3);
    }
    // The same Parquet schema as Spark's own write of these rows, and the same rows.
    Path bySpark = tmp.resolve("by-spark");
    expected.write().parquet(bySpark.toString());
    assertThat(parquetSchema(firstFile(out))).isEqualTo(parquetSchema(firstFile(bySpark)));
    assertThat(written.schema()).isEqualTo(spark.read().parquet(bySpark.toString()).schema());
    List<Row> want = expected.orderBy("key").collectAsList();
    List<Row> got = written.orderBy("key").collectAsList();
    // Row.equals compares binary values by content, also inside the nested structs.
    assertThat(got).isEqualTo(want);
  }

  private static Path firstFile(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.toString().endsWith(".parquet"))
          .sorted()
          .findFirst()
          .orElseThrow();
    }
  }

  private static MessageType parquetSchema(Path file) throws Exception {
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      return reader.getFooter().getFileMetaData().getSchema();
    }
  }
}

package dev.cortado.spark.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.spark.LocalSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which sessions of the spark-* commands run their row code interpreted. */
class SparkSessionsTest {
  private final SparkSession spark = LocalSpark.get();

  @AfterEach
  void restore() {
    spark.conf().unset(SparkSessions.CODEGEN_FACTORY_MODE);
  }

  private String mode() {
    return spark.conf().get(SparkSessions.CODEGEN_FACTORY_MODE);
  }

  @Test
  void aSmallLocalJobOfItsOwnSessionRunsInterpreted() {
    new SparkSessions.Session(spark, true).interpretIfSmall("local[2]", 60_000L * 1_000);
    assertThat(mode()).isEqualTo("NO_CODEGEN");
  }

  @Test
  void aLargeJobAClusterOrSomeoneElsesSessionKeepsSparksCompiledRows() {
    String before = mode();
    long small = 1 << 20;
    new SparkSessions.Session(spark, true)
        .interpretIfSmall("local[2]", SparkSessions.INTERPRETED_BELOW_BYTES);
    new SparkSessions.Session(spark, true).interpretIfSmall("spark://127.0.0.1:7077", small);
    new SparkSessions.Session(spark, false).interpretIfSmall("local[2]", small);
    assertThat(mode()).isEqualTo(before).isNotEqualTo("NO_CODEGEN");
  }
}

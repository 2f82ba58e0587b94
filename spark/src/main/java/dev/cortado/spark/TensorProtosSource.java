package dev.cortado.spark;

import dev.cortado.spark.read.TensorProtosScan;
import dev.cortado.spark.write.Writes;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.CreatableRelationProvider;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The {@code tensorprotos} data source: {@code spark.read.format("tensorprotos").load(path)} reads
 * Caffe2 DBs (LMDB, LevelDB, RocksDB, minidb, and any backend plugin), {@code
 * df.write.format("tensorprotos").option("num_shards", N).save(dir)} writes N shard DBs. The
 * options and layouts are described in the module README.
 */
public final class TensorProtosSource
    implements TableProvider, DataSourceRegister, CreatableRelationProvider {
  public static final String SHORT_NAME = "tensorprotos";

  @Override
  public String shortName() {
    return SHORT_NAME;
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return TensorProtosScan.ReadPlan.of(new Options(options)).decoder().schema();
  }

  @Override
  public boolean supportsExternalMetadata() {
    return true;
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new TensorProtosTable(schema, properties);
  }

  /** The save modes Spark keeps from V2 tables ({@code errorifexists}, {@code ignore}). */
  @Override
  public BaseRelation createRelation(
      SQLContext sqlContext,
      SaveMode mode,
      scala.collection.immutable.Map<String, String> parameters,
      Dataset<Row> data) {
    Map<String, String> options = scala.jdk.javaapi.CollectionConverters.asJava(parameters);
    Writes.save(data, options, mode);
    StructType schema = data.schema();
    return new BaseRelation() {
      @Override
      public SQLContext sqlContext() {
        return sqlContext;
      }

      @Override
      public StructType schema() {
        return schema;
      }
    };
  }

  @Override
  public String toString() {
    return SHORT_NAME;
  }
}

package dev.cortado.spark;

import dev.cortado.spark.read.TensorProtosScan;
import dev.cortado.spark.write.Writes;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.SupportsWrite;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.SupportsTruncate;
import org.apache.spark.sql.connector.write.V1Write;
import org.apache.spark.sql.connector.write.Write;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * A DB, a set of shard DBs, or a write's output directory. Reads are DataSource V2 scans. Writes in
 * append and overwrite mode arrive here and go, like the other modes, through {@link Writes} to the
 * sharded V2 write.
 */
public final class TensorProtosTable implements SupportsRead, SupportsWrite {
  private final StructType schema;
  private final Map<String, String> properties;

  public TensorProtosTable(StructType schema, Map<String, String> properties) {
    this.schema = schema;
    this.properties = Map.copyOf(properties);
  }

  @Override
  public String name() {
    Options o = new Options(properties);
    return "tensorprotos " + String.join(",", o.paths());
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public Set<TableCapability> capabilities() {
    return EnumSet.of(
        TableCapability.BATCH_READ,
        TableCapability.V1_BATCH_WRITE,
        TableCapability.TRUNCATE,
        TableCapability.ACCEPT_ANY_SCHEMA);
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
    TensorProtosScan.ReadPlan plan = TensorProtosScan.ReadPlan.of(new Options(options));
    StructType produced = plan.decoder().schema();
    if (!produced.asNullable().equals(schema.asNullable())) {
      throw new IllegalArgumentException(
          "tensorprotos: the schema given with .schema() "
              + schema.simpleString()
              + " is not the one these options read: "
              + produced.simpleString()
              + "; leave .schema() out, the connector knows it");
    }
    return new TensorProtosScan(plan);
  }

  @Override
  public WriteBuilder newWriteBuilder(LogicalWriteInfo info) {
    Map<String, String> options = info.options().asCaseSensitiveMap();
    return new TruncatableV1Builder(options);
  }

  /** Spark's append and overwrite (truncate) modes, through {@link Writes}. */
  private static final class TruncatableV1Builder implements SupportsTruncate {
    private final Map<String, String> options;
    private boolean truncate;

    TruncatableV1Builder(Map<String, String> options) {
      this.options = options;
    }

    @Override
    public WriteBuilder truncate() {
      truncate = true;
      return this;
    }

    @Override
    public Write build() {
      SaveMode mode = truncate ? SaveMode.Overwrite : SaveMode.Append;
      return (V1Write) () -> (data, overwrite) -> Writes.save(data, options, mode);
    }
  }
}

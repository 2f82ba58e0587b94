package dev.cortado.spark.write;

import dev.cortado.spark.DbLocator;
import dev.cortado.spark.Options;
import dev.cortado.spark.Registries;
import dev.cortado.spark.Schemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.connector.catalog.SupportsWrite;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The DataSource V2 write of sharded DBs (append, or overwrite through truncate). The public {@code
 * tensorprotos} source hands its writes here after it has applied the save mode; see {@link
 * Writes}.
 */
public final class ShardedWriteSource implements TableProvider {
  public static final String STAGING_DIR = "staging_dir";

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    throw new UnsupportedOperationException(
        "tensorprotos: the shard writer needs the data's schema; it only writes");
  }

  @Override
  public boolean supportsExternalMetadata() {
    return true;
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new ShardTable(schema);
  }

  /** The table a write goes to. */
  static final class ShardTable implements SupportsWrite {
    private final StructType schema;

    ShardTable(StructType schema) {
      this.schema = schema;
    }

    @Override
    public String name() {
      return "tensorprotos-shards";
    }

    @Override
    public StructType schema() {
      return schema;
    }

    @Override
    public Set<TableCapability> capabilities() {
      return EnumSet.of(
          TableCapability.BATCH_WRITE, TableCapability.TRUNCATE, TableCapability.ACCEPT_ANY_SCHEMA);
    }

    @Override
    public WriteBuilder newWriteBuilder(LogicalWriteInfo info) {
      Options options = new Options(info.options());
      WriteSpec spec = spec(options, info.schema(), info.queryId());
      String key = info.schema().fields()[Schemas.indexOf(info.schema(), "key")].name();
      return new ShardWrite.Builder(spec, key);
    }
  }

  /** The write's settings from its options; bad options fail here, before any task runs. */
  static WriteSpec spec(Options options, StructType schema, String jobId) {
    List<String> paths = options.paths();
    if (paths.size() != 1) {
      throw new IllegalArgumentException(
          "tensorprotos: save needs exactly one output directory, got " + paths);
    }
    Path out = Path.of(DbLocator.stripScheme(paths.get(0))).toAbsolutePath();
    int numShards = options.integer(Options.NUM_SHARDS, 1, 1);
    boolean byInput = options.choice(Options.SHARD_BY, "key", "key", "input").equals("input");
    String dbType = options.get(Options.DB_TYPE);
    if (dbType == null) {
      dbType = existingType(out);
    }
    String canonical = Registries.get().provider(dbType).name();
    String staging =
        options.get(
            STAGING_DIR,
            Path.of(System.getProperty("java.io.tmpdir"), "cortado-spark-staging").toString());
    RowEncoder encoder = RowEncoder.forSchema(schema);
    return new WriteSpec(out.toString(), canonical, numShards, byInput, jobId, staging, encoder);
  }

  /** The db_type of the shards already in {@code out} (for append), else {@code lmdb}. */
  private static String existingType(Path out) {
    Path manifest = out.resolve(ShardFiles.MANIFEST);
    if (Files.exists(manifest)) {
      try {
        Manifest m = Manifest.read(manifest);
        if (!m.shards.isEmpty() && m.shards.get(m.shards.size() - 1).db_type != null) {
          return m.shards.get(m.shards.size() - 1).db_type;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("tensorprotos: cannot read " + manifest, e);
      }
    }
    return "lmdb";
  }
}

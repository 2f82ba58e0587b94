package dev.cortado.cpu;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbOutput;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.proto.BlobSerializationOptions;
import dev.cortado.proto.SerializationOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Caffe2's {@code Save} (§12.3 of docs/caffe2-semantics.md): writes every input atomically into a
 * NEW DB in Caffe2's layout, tensors chunked under {@code <name>#%<chunk>} keys, one transaction
 * per record, so Caffe2's Load reads it and the other way round. Chunks are written in order
 * (Caffe2's order is not deterministic).
 */
final class SaveOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Save")
          .inputs(1, OperatorSchema.MANY)
          .numOutputs(0)
          .requiredArg("db", "target DB path (under the root folder unless absolute_path)")
          .requiredArg("db_type", "backend name; the DB is created in NEW mode")
          .arg("absolute_path", "0", "use db as given instead of <root folder>/<db>")
          .arg(
              "strip_prefix", "\"\"", "drop everything up to and including this in each input name")
          .arg("blob_name_overrides", "[]", "one stored name per input; excludes strip_prefix")
          .arg("chunk_size", "-1", "elements per chunk: -1 = 1,000,000, 0 = no chunking, n = n")
          .arg("options", "\"\"", "serialized SerializationOptions: per-blob chunk_size by regex")
          .arg("db_options", "\"\"", "backend options; Cortado's backends take none")
          .doc("Saves blobs into a DB in Caffe2's BlobProto layout.")
          .gradient(Gradient.SHOULD_NOT_DO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final DbRegistry registry;
  private final String dbType;
  private final String path;
  private final List<String> names;
  private final long defaultChunk;
  private final List<BlobSerializationOptions> options;

  /** Each options entry's blob_name_regex, compiled once; null where the regex is empty. */
  private final List<Pattern> regexes = new ArrayList<>();

  SaveOp(OperatorContext ctx) {
    this.ctx = ctx;
    Arguments args = ctx.args();
    this.registry = ctx.service(DbRegistry.class);
    this.dbType = args.getString("db_type", "");
    registry.provider(dbType);
    String db = args.getString("db", "");
    if (db.isEmpty()) {
      throw args.error("db", "is empty: must specify a db name");
    }
    this.path = DbPaths.resolve(ctx, db);
    if (!args.getString("db_options", "").isEmpty()) {
      throw args.error("db_options", "is set, but no Cortado backend takes options");
    }
    String strip = args.getString("strip_prefix", "");
    List<String> overrides = args.getStrings("blob_name_overrides");
    List<String> derived = new ArrayList<>();
    if (!overrides.isEmpty()) {
      if (!strip.isEmpty()) {
        throw ctx.error("strip_prefix and blob_name_overrides are mutually exclusive");
      }
      if (overrides.size() != ctx.inputCount()) {
        throw args.error(
            "blob_name_overrides",
            "has " + overrides.size() + " names for " + ctx.inputCount() + " inputs");
      }
      derived.addAll(overrides);
    } else {
      for (int i = 0; i < ctx.inputCount(); i++) {
        derived.add(stripPrefix(ctx.inputName(i), strip));
      }
    }
    Set<String> seen = new HashSet<>();
    for (String name : derived) {
      if (!seen.add(name)) {
        throw ctx.error("duplicated input: two inputs would be saved as '" + name + "'");
      }
    }
    this.names = List.copyOf(derived);
    long chunk = args.getLong("chunk_size", -1);
    this.defaultChunk = chunkElements(chunk);
    byte[] opts = args.getBytes("options");
    if (opts == null || opts.length == 0) {
      this.options = List.of();
    } else {
      try {
        this.options = SerializationOptions.parseFrom(opts).getOptionsList();
      } catch (InvalidProtocolBufferException e) {
        throw args.error("options", "is not a serialized SerializationOptions: " + e.getMessage());
      }
      for (BlobSerializationOptions o : options) {
        if (o.getFloatFormat() == BlobSerializationOptions.FloatFormat.FLOAT_BFLOAT16) {
          throw args.error(
              "options", "asks for float_format BFLOAT16, which Cortado does not write");
        }
        String regex = o.getBlobNameRegex();
        try {
          regexes.add(regex.isEmpty() ? null : Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
          throw args.error(
              "options",
              "holds a blob_name_regex that does not compile: '"
                  + regex
                  + "': "
                  + e.getDescription());
        }
      }
    }
  }

  /** The Save argument's meaning: -1 default, 0 whole tensor (returned as 0), n elements. */
  private long chunkElements(long chunk) {
    if (chunk == -1) {
      return BlobSerialization.DEFAULT_CHUNK_SIZE;
    }
    if (chunk < -1) {
      throw ctx.args().error("chunk_size", "must be -1, 0 or positive, found " + chunk);
    }
    return chunk;
  }

  /** Caffe2's rule: drop everything up to and including the first occurrence of the prefix. */
  static String stripPrefix(String name, String prefix) {
    if (prefix.isEmpty()) {
      return name;
    }
    int at = name.indexOf(prefix);
    return at < 0 ? name : name.substring(at + prefix.length());
  }

  /**
   * The first options entry whose regex is empty or matches the whole name decides the chunk size.
   */
  private long chunkFor(String name) {
    for (int i = 0; i < options.size(); i++) {
      BlobSerializationOptions o = options.get(i);
      Pattern regex = regexes.get(i);
      if (regex == null || regex.matcher(name).matches()) {
        long c = o.getChunkSize();
        // In SerializationOptions 0 means the default and -1 means no chunking.
        return c == 0 ? defaultChunk : c == -1 ? 0 : c;
      }
    }
    return defaultChunk;
  }

  /**
   * Writes the DB atomically ({@link DbOutput}): under {@code <db>.partial-<pid>}, renamed into
   * place when complete, so an error or an interrupt leaves the previous state. An existing DB is
   * handled by the runtime's {@link DbOutput.Policy}: by default as Caffe2's NEW mode (a minidb
   * file is replaced, another existing DB is an error); a DB this process saved may always be saved
   * again.
   */
  @Override
  public void run() {
    DbOutput.Policy policy =
        ctx.services().find(DbOutput.Policy.class).orElse(DbOutput.Policy.CAFFE2);
    DbProvider provider = registry.provider(dbType);
    String canonical = provider.name();
    if (!provider.storesAtPath()) {
      // Nothing on disk to write atomically (the in-memory backend keys DBs by name).
      try (Db db = registry.open(dbType, path, Mode.NEW)) {
        write(db, null);
      }
      return;
    }
    boolean overwrite =
        policy == DbOutput.Policy.REPLACE
            || (policy == DbOutput.Policy.CAFFE2 && canonical.equals("minidb"));
    DbOutput output;
    try {
      output =
          DbOutput.to(Path.of(path))
              .overwrite(overwrite)
              .replaceOwn(true)
              .overwriteHint(
                  "Save replaces an existing DB only when asked to (cortado run-net and"
                      + " run-plan: --overwrite)")
              .notices(m -> System.err.println("Save: " + m))
              .begin();
    } catch (DbException e) {
      throw ctx.error(e.getMessage(), e);
    }
    try (output) {
      try {
        try (Db db = registry.open(dbType, output.path().toString(), Mode.NEW)) {
          write(db, output);
        }
        output.commit();
      } catch (DbOutput.Interrupted e) {
        throw e;
      } catch (RuntimeException e) {
        output.close();
        throw new DbException(e.getMessage() + "; " + output.keptNote(), e);
      }
    }
  }

  private void write(Db db, DbOutput output) {
    {
      for (int i = 0; i < ctx.inputCount(); i++) {
        String name = names.get(i);
        BlobSerialization.serialize(
            ctx,
            ctx.inputName(i),
            name,
            ctx.input(i).get(),
            chunkFor(name),
            (key, value) -> {
              if (output != null) {
                output.checkActive();
              }
              try (Transaction tx = db.newTransaction()) {
                tx.put(key.getBytes(StandardCharsets.UTF_8), value);
                tx.commit();
              }
            });
      }
    }
  }
}

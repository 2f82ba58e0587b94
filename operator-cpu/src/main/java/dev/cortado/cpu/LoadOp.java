package dev.cortado.cpu;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.operator.Arguments;
import dev.cortado.operator.Blob;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.proto.BlobProto;
import dev.cortado.proto.DBReaderProto;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Caffe2's {@code Load} (§12.2 of docs/caffe2-semantics.md): reads BlobProto records from one or
 * more DBs (or from DB reader inputs, starting at the reader's current record) into the output
 * blobs, or into a blob per key with {@code load_all}. Names come from keys cut at {@code #%}, then
 * {@code strip_prefix}, then {@code add_prefix}.
 *
 * <p>Better than Caffe2: tensor chunks that overlap or repeat are an error (Caffe2 only sums their
 * lengths), and chunk type and dims must match the first chunk's.
 */
final class LoadOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Load")
          .inputs(0, OperatorSchema.MANY)
          .outputs(0, OperatorSchema.MANY)
          .arg("db", null, "DB path (required without inputs and dbs)")
          .arg("dbs", "[]", "several DB paths; overrides db")
          .arg("db_type", null, "backend name (required without inputs)")
          .arg("absolute_path", "0", "use the paths as given instead of under the root folder")
          .arg("add_prefix", "\"\"", "prepended to every loaded blob name")
          .arg("strip_prefix", "\"\"", "drop everything up to and including this in each name")
          .arg("source_blob_names", "[]", "stored names to load, one per output")
          .arg("keep_device", "0", "keep the stored device instead of the operator's")
          .arg("load_all", "0", "load every record into a blob named after its key")
          .arg("allow_incomplete", "0", "succeed when fewer blobs than outputs were found")
          .arg("db_options", "\"\"", "backend options; Cortado's backends take none")
          .arg("shape", "[]", "shape hint for shape inference only")
          .arg("dtype", null, "type hint for shape inference only")
          .doc("Loads blobs saved by Save (or by Caffe2) from a DB.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final DbRegistry registry;
  private final String dbType;
  private final List<String> paths = new ArrayList<>();
  private final String addPrefix;
  private final String stripPrefix;
  private final boolean keepDevice;
  private final boolean loadAll;
  private final boolean allowIncomplete;

  /** Source (stored) name to output index, unless load_all. */
  private final Map<String, Integer> outputIndices = new LinkedHashMap<>();

  /** Completeness bookkeeping of one blob name across records. */
  private static final class BlobState {
    final boolean isTensor;
    final long total;

    /** The first record of the blob, named when its chunks do not add up. */
    final String firstKey;

    long current;

    /** Chunk begin to end, for overlap detection. */
    final TreeMap<Long, Long> segments = new TreeMap<>();

    /** The chunks read so far, until they make the whole tensor (then null). */
    BlobSerialization.TensorParts parts;

    BlobState(boolean isTensor, long total, long current, String firstKey) {
      this.isTensor = isTensor;
      this.total = total;
      this.firstKey = firstKey;
      this.current = current;
    }
  }

  LoadOp(OperatorContext ctx) {
    this.ctx = ctx;
    Arguments args = ctx.args();
    this.registry = ctx.service(DbRegistry.class);
    this.dbType = args.getString("db_type", "");
    this.addPrefix = args.getString("add_prefix", "");
    this.stripPrefix = args.getString("strip_prefix", "");
    this.keepDevice = args.getInt("keep_device", 0) != 0;
    this.loadAll = args.getInt("load_all", 0) != 0;
    this.allowIncomplete = args.getBool("allow_incomplete", false);
    if (!args.getString("db_options", "").isEmpty()) {
      throw args.error("db_options", "is set, but no Cortado backend takes options");
    }
    if (ctx.inputCount() == 0) {
      if (dbType.isEmpty()) {
        throw args.error("db_type", "is missing: must specify a db type");
      }
      registry.provider(dbType);
      List<String> dbs = args.getStrings("dbs");
      if (dbs.isEmpty()) {
        String db = args.getString("db", "");
        if (db.isEmpty()) {
          throw args.error("db", "is missing: must specify a db name (or dbs)");
        }
        dbs = List.of(db);
      } else {
        Set<String> seen = new HashSet<>();
        for (String db : dbs) {
          if (db.isEmpty()) {
            throw args.error("dbs", "holds an empty db name");
          }
          if (!seen.add(db)) {
            throw args.error("dbs", "names the db '" + db + "' twice");
          }
        }
      }
      for (String db : dbs) {
        paths.add(DbPaths.resolve(ctx, db));
      }
    }
    List<String> sourceNames = args.getStrings("source_blob_names");
    if (!sourceNames.isEmpty() && sourceNames.size() != ctx.outputCount()) {
      throw args.error(
          "source_blob_names",
          "has " + sourceNames.size() + " names for " + ctx.outputCount() + " outputs");
    }
    if (!sourceNames.isEmpty() && !stripPrefix.isEmpty()) {
      throw ctx.error("strip_prefix and source_blob_names are mutually exclusive");
    }
    if (!sourceNames.isEmpty() && loadAll) {
      throw ctx.error("load_all cannot be used together with source_blob_names");
    }
    if (!loadAll) {
      List<String> names = sourceNames.isEmpty() ? ctx.def().getOutputList() : sourceNames;
      for (int i = 0; i < names.size(); i++) {
        if (outputIndices.putIfAbsent(names.get(i), i) != null) {
          throw ctx.error("duplicated source blob name: '" + names.get(i) + "'");
        }
      }
    }
  }

  /** One run's state: which DB each name came from and each name's completeness. */
  private final class Loading {
    final Map<String, Integer> dbOfName = new HashMap<>();
    final Map<String, BlobState> states = new LinkedHashMap<>();
    int loaded;

    /** Reads records from {@code cursor} to its end, or until every output is complete. */
    void extract(int dbIndex, Cursor cursor, String where) {
      for (; cursor.valid(); cursor.next()) {
        String rawKey = string(cursor.key());
        String name = blobName(rawKey);
        Blob blob;
        if (loadAll) {
          blob = null;
        } else {
          Integer out = outputIndices.get(name);
          if (out == null) {
            continue;
          }
          blob = ctx.output(out);
        }
        Integer previous = dbOfName.putIfAbsent(name, dbIndex);
        if (previous != null && previous != dbIndex) {
          throw ctx.error("duplicate key: blob '" + name + "' is found in two DBs (" + where + ")");
        }
        BlobProto proto = BlobSerialization.parse(ctx, rawKey, bytes(cursor.value()));
        if (blob == null) {
          blob = ctx.createBlob(name);
        }
        process(blob, proto, name, rawKey);
        // As in Caffe2, a DB stops early once every output is complete; later DBs are still
        // opened, so a name repeated in them is still reported as a duplicate.
        if (!loadAll && loaded == ctx.outputCount()) {
          return;
        }
      }
    }

    private void process(Blob blob, BlobProto proto, String name, String key) {
      BlobState state = states.get(name);
      boolean first = state == null;
      if (!proto.hasTensor() || !proto.getType().equals(BlobSerialization.TENSOR)) {
        if (!first) {
          throw ctx.error("blob duplicated: '" + name + "' (record '" + key + "')");
        }
        BlobSerialization.deserialize(ctx, proto, blob, key);
        states.put(name, new BlobState(false, 0, 0, key));
        loaded++;
        return;
      }
      if (!first) {
        if (!state.isTensor) {
          throw ctx.error("blob '" + name + "' mixes a tensor record with other records");
        }
        if (state.current >= state.total) {
          throw ctx.error(
              "found an extra part for the already filled tensor '"
                  + name
                  + "' (record '"
                  + key
                  + "')");
        }
        if (!proto.getTensor().hasSegment()) {
          throw ctx.error("partial tensor '" + name + "' needs a segment (record '" + key + "')");
        }
      }
      // The record is checked in full (and only its own elements allocated) before anything is
      // sized by the dims it declares.
      BlobSerialization.TensorChunk chunk =
          BlobSerialization.tensorChunk(ctx, proto, keepDevice, key);
      long begin = chunk.begin();
      long end = chunk.end();
      if (first) {
        state = new BlobState(true, chunk.numel(), 0, key);
        states.put(name, state);
        if (chunk.whole()) {
          blob.set(chunk.data());
          state.current = chunk.numel();
          loaded++;
          return;
        }
        state.parts = new BlobSerialization.TensorParts(chunk);
      }
      Map.Entry<Long, Long> before = state.segments.floorEntry(begin);
      Map.Entry<Long, Long> after = state.segments.ceilingEntry(begin);
      if (end > begin
          && ((before != null && before.getValue() > begin)
              || (after != null && after.getKey() < end))) {
        throw ctx.error(
            "chunk ["
                + begin
                + ", "
                + end
                + ") of tensor '"
                + name
                + "' overlaps a chunk read earlier (record '"
                + key
                + "')");
      }
      state.parts.add(ctx, chunk, key);
      if (end > begin) {
        state.segments.put(begin, end);
      }
      state.current += end - begin;
      if (state.current > state.total) {
        throw ctx.error("tensor parts are bigger than the target size for tensor '" + name + "'");
      }
      if (state.current == state.total) {
        blob.set(state.parts.assemble(ctx, name));
        state.parts = null;
        loaded++;
      }
    }
  }

  private String blobName(String key) {
    return addPrefix + SaveOp.stripPrefix(BlobSerialization.baseName(key), stripPrefix);
  }

  @Override
  public void run() {
    Loading loading = new Loading();
    if (ctx.inputCount() > 0) {
      for (int i = 0; i < ctx.inputCount(); i++) {
        DbReader reader = ctx.input(i, DbReader.class);
        readFromReader(loading, i, reader);
      }
    } else {
      for (int i = 0; i < paths.size(); i++) {
        try (Db db = registry.open(dbType, paths.get(i), Mode.READ);
            Cursor cursor = db.newCursor()) {
          loading.extract(i, cursor, paths.get(i));
        }
      }
    }
    for (Map.Entry<String, BlobState> e : loading.states.entrySet()) {
      BlobState s = e.getValue();
      if (s.current != s.total) {
        throw ctx.error(
            "data size mismatch for blob '"
                + e.getKey()
                + "': expected "
                + s.total
                + " elements, read "
                + s.current
                + " (first record '"
                + s.firstKey
                + "')");
      }
    }
    if (loadAll || loading.loaded == ctx.outputCount()) {
      return;
    }
    if (!allowIncomplete) {
      List<String> missing = new ArrayList<>();
      for (int i = 0; i < ctx.outputCount(); i++) {
        if (!loading.states.containsKey(ctx.outputName(i))) {
          missing.add(ctx.outputName(i));
        }
      }
      throw ctx.error(
          "expected to load "
              + ctx.outputCount()
              + " blobs, got "
              + loading.loaded
              + " only; missing "
              + missing);
    }
  }

  /**
   * Caffe2 reads a reader input's raw cursor from its current record to the end, ignoring shards.
   * Cortado opens its own cursor at the reader's checkpoint (the next record it would return), so
   * the reader itself is left where it was.
   */
  private void readFromReader(Loading loading, int index, DbReader reader) {
    DBReaderProto checkpoint = reader.toProto(ctx.inputName(index));
    try (Db db = registry.open(reader.dbType(), reader.source(), Mode.READ);
        Cursor cursor = db.newCursor()) {
      if (checkpoint.hasKey()) {
        cursor.seek(checkpoint.getKeyBytes().toByteArray());
      } else if (checkpoint.getUnknownFields().hasField(DbReader.POSITION_FIELD)) {
        List<Long> positions =
            checkpoint.getUnknownFields().getField(DbReader.POSITION_FIELD).getVarintList();
        cursor.seekToPosition(positions.get(positions.size() - 1));
      }
      loading.extract(index, cursor, reader.source());
    }
  }

  private static String string(ByteBuffer b) {
    return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}

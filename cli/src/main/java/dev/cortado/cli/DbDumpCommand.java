package dev.cortado.cli;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.Keys;
import dev.cortado.db.Mode;
import java.io.PrintWriter;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado db-dump}: one JSON line per record, in DbReader order, without wrap-around. */
@Command(
    name = "db-dump",
    sortOptions = false,
    description = {
      "Prints one JSON line per record, in the order a DbReader (CreateDB's reader) returns"
          + " them, once each, without wrapping around.",
      "Each line: {\"index\":i,\"key\":\"...\",\"key_hex\":\"...\",\"value_len\":n,"
          + "\"value_sha256\":\"...\"}; key is the key as text when it is printable ASCII, else"
          + " null; key_hex is always there.",
      "index counts the records printed, from 0. With --num-shards N --shard-id K only the"
          + " records at positions K, K+N, K+2N, ... are printed."
    })
final class DbDumpCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Mixin Options.DbIn in;

  @Mixin Options.Shards shards;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "-1",
      description = "Stop after N records (default: all).")
  long limit;

  @Override
  public Integer call() throws NoSuchAlgorithmException {
    shards.check();
    String db = in.path;
    String dbType = in.type();
    int numShards = shards.numShards;
    int shardId = shards.shardId;
    PrintWriter out = spec.commandLine().getOut();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    HexFormat hex = HexFormat.of();
    Db opened = Dbs.open(dbType, db, Mode.READ);
    // The reader owns the DB from here on and closes it.
    try (DbReader reader = Dbs.where(dbType, db, () -> new DbReader(opened, numShards, shardId));
        Cursor probe = Dbs.where(dbType, db, opened::newCursor)) {
      // The reader wraps around forever; a second cursor on the same DB, walking the same
      // positions, says when the shard's last record has been read.
      Dbs.where(dbType, db, () -> advance(probe, shardId));
      long index = 0;
      while ((limit < 0 || index < limit) && Dbs.where(dbType, db, probe::valid)) {
        long i = index;
        Dbs.where(
            dbType,
            db,
            () ->
                reader.read(
                    (key, value) -> {
                      sha.reset();
                      sha.update(value.duplicate());
                      out.println(
                          new JsonLine()
                              .put("index", i)
                              .put("key", printable(key))
                              .put("key_hex", Keys.hex(key))
                              .put("value_len", value.remaining())
                              .put("value_sha256", hex.formatHex(sha.digest())));
                    }));
        index++;
        // A reader that went away (| head) ends the dump; checkError() flushes, so ask rarely.
        if ((index & 1023) == 0 && out.checkError()) {
          return 0;
        }
        try {
          advance(probe, numShards);
        } catch (RuntimeException probeFailure) {
          // The reader meets the same broken record on its next read and reports it with its
          // own context; fall back to the probe's error if it does not.
          Dbs.where(dbType, db, () -> reader.read((key, value) -> {}));
          throw new CliException(
              Dbs.describe(dbType, db) + ": " + Errors.oneLine(probeFailure), probeFailure);
        }
      }
    } finally {
      out.flush();
    }
    return 0;
  }

  /** The key as text when every byte is printable ASCII, else null. */
  static String printable(java.nio.ByteBuffer key) {
    StringBuilder sb = new StringBuilder(key.remaining());
    for (int i = key.position(); i < key.limit(); i++) {
      int b = key.get(i) & 0xff;
      if (b < 0x20 || b >= 0x7f) {
        return null;
      }
      sb.append((char) b);
    }
    return sb.toString();
  }

  private static void advance(Cursor cursor, int steps) {
    for (int s = 0; s < steps && cursor.valid(); s++) {
      cursor.next();
    }
  }
}

package dev.cortado.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The option groups every command shares, one class per group so that their names, labels and help
 * texts cannot drift apart: a DB read, its shards, a DB written, the commit interval, JSON.
 */
final class Options {
  private Options() {}

  /** The --db-type help text. */
  static final String TYPE_HELP =
      "lmdb, leveldb, rocksdb, minidb, memory, or a name a plugin jar adds; case-insensitive.";

  /** {@code --db}, {@code --db-type}: the DB a command reads. */
  static final class DbIn {
    @Option(names = "--db", required = true, paramLabel = "PATH", description = "DB to read.")
    String path;

    @Option(
        names = "--db-type",
        paramLabel = "TYPE",
        description = "Its backend: " + TYPE_HELP + " Detected from the files when omitted.")
    String type;

    private String resolved;

    /** The db type: as given (checked against the files), else detected. */
    String type() {
      if (resolved == null) {
        resolved = Dbs.inputType(type, path);
      }
      return resolved;
    }

    /** "db PATH (db_type T)". */
    String describe() {
      return Dbs.describe(type(), path);
    }
  }

  /** {@code --num-shards}, {@code --shard-id}: which records of the DB are read. */
  static final class Shards {
    @Option(
        names = "--num-shards",
        paramLabel = "N",
        defaultValue = "1",
        description =
            "Read one of N shards: the records at positions K, K+N, K+2N, ... in cursor"
                + " order, as CreateDB's num_shards (default: ${DEFAULT-VALUE}).")
    int numShards;

    @Option(
        names = "--shard-id",
        paramLabel = "K",
        defaultValue = "0",
        description = "Which shard, 0 <= K < N (default: ${DEFAULT-VALUE}).")
    int shardId;

    void check() {
      if (numShards < 1 || shardId < 0 || shardId >= numShards) {
        throw new CliException(
            "need --num-shards >= 1 and 0 <= --shard-id < --num-shards, got --num-shards "
                + numShards
                + " --shard-id "
                + shardId);
      }
    }

    /** True when the record at this cursor position belongs to the shard. */
    boolean includes(long position) {
      return position % numShards == shardId;
    }

    boolean sharded() {
      return numShards > 1;
    }
  }

  /** {@code --out}, {@code --out-type}, {@code --overwrite}: the DB a command writes. */
  static final class DbOut {
    @Option(
        names = "--out",
        paramLabel = "PATH",
        description =
            "DB to write. It is written as <out>.partial-<pid> and renamed into place"
                + " when complete, so it never exists half-written.")
    String path;

    @Option(
        names = "--out-type",
        paramLabel = "TYPE",
        description = "Backend of the output: " + TYPE_HELP)
    String type;

    @Option(
        names = "--overwrite",
        description =
            "Replace an existing output, only once the new one is complete (without it,"
                + " an existing output is an error).")
    boolean overwrite;

    /** --out, required by this command. */
    String path(CommandSpec spec) {
      if (path == null) {
        throw new ParameterException(spec.commandLine(), "Missing required option: '--out=PATH'");
      }
      return path;
    }

    /** --out-type, else {@code fallback}. */
    String type(String fallback) {
      return type != null ? type : fallback;
    }
  }

  /** {@code --commit-every}: records per write transaction. */
  static final class Commit {
    @Option(
        names = "--commit-every",
        paramLabel = "N",
        defaultValue = "1000",
        description = "Records per commit (default: ${DEFAULT-VALUE}).")
    int every;

    void check() {
      if (every <= 0) {
        throw new CliException("--commit-every must be > 0, got " + every);
      }
    }
  }

  /** {@code --json}: the result as JSON lines. */
  static final class Json {
    @Option(names = "--json", description = "Print the result as one JSON object per line.")
    boolean json;
  }
}

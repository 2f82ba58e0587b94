package dev.cortado.spark.write;

import dev.cortado.db.Mode;
import dev.cortado.spark.Registries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.write.BatchWrite;
import org.apache.spark.sql.connector.write.DataWriter;
import org.apache.spark.sql.connector.write.DataWriterFactory;
import org.apache.spark.sql.connector.write.PhysicalWriteInfo;
import org.apache.spark.sql.connector.write.WriterCommitMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of a write. {@link #commit} runs once every task has committed: it removes the
 * old shards (overwrite) or renumbers them (append), renames each task's DB from {@code _temporary}
 * to {@code shard-0000i-of-0000N}, writes {@code _manifest.json}, removes {@code _temporary} and
 * writes {@code _SUCCESS} last. {@link #abort} removes this job's temporary files and leaves no
 * {@code _SUCCESS}.
 */
final class ShardBatchWrite implements BatchWrite {
  private static final Logger LOG = LoggerFactory.getLogger(ShardBatchWrite.class);

  private final WriteSpec spec;
  private final boolean truncate;

  ShardBatchWrite(WriteSpec spec, boolean truncate) {
    this.spec = spec;
    this.truncate = truncate;
  }

  @Override
  public DataWriterFactory createBatchWriterFactory(PhysicalWriteInfo info) {
    return new WriterFactory(spec);
  }

  record WriterFactory(WriteSpec spec) implements DataWriterFactory {
    @Override
    public DataWriter<InternalRow> createWriter(int partitionId, long taskId) {
      return new ShardDataWriter(spec, partitionId, taskId);
    }
  }

  @Override
  public void commit(WriterCommitMessage[] messages) {
    Path out = Path.of(spec.outDir());
    try {
      Files.createDirectories(out);
      Files.deleteIfExists(out.resolve(ShardFiles.SUCCESS));
      Path manifestFile = out.resolve(ShardFiles.MANIFEST);
      List<Manifest.Shard> existing = new ArrayList<>();
      if (truncate) {
        try (Stream<Path> entries = Files.list(out)) {
          for (Path p : (Iterable<Path>) entries::iterator) {
            if (!p.getFileName().toString().equals(ShardFiles.TEMPORARY)) {
              ShardFiles.deleteRecursively(p);
            }
          }
        }
      } else if (Files.exists(manifestFile)) {
        existing.addAll(Manifest.read(manifestFile).shards);
      }
      ShardCommitMessage[] byShard = new ShardCommitMessage[spec.numShards()];
      for (WriterCommitMessage m : messages) {
        if (m instanceof ShardCommitMessage s) {
          byShard[s.shard()] = s;
        }
      }
      int total = existing.size() + spec.numShards();
      Manifest manifest = new Manifest();
      for (int i = 0; i < existing.size(); i++) {
        Manifest.Shard shard = existing.get(i);
        String name = ShardFiles.shardName(i, total);
        if (!name.equals(shard.name)) {
          Files.move(out.resolve(shard.name), out.resolve(name));
          shard.name = name;
        }
        manifest.shards.add(shard);
      }
      for (int i = 0; i < spec.numShards(); i++) {
        Path target = out.resolve(ShardFiles.shardName(existing.size() + i, total));
        Manifest.Shard stats;
        if (byShard[i] != null) {
          ShardFiles.move(Path.of(byShard[i].path()), target);
          stats = byShard[i].stats();
        } else {
          // No task ran for this shard (Spark planned no rows for it): an empty DB.
          stats = emptyShard(target);
        }
        stats.name = target.getFileName().toString();
        manifest.shards.add(stats);
      }
      manifest.write(manifestFile);
      removeTemporary(out);
      Files.write(out.resolve(ShardFiles.SUCCESS), new byte[0]);
      LOG.info(
          "tensorprotos: wrote {} shard(s), {} records, to {} ({} shard(s) in all)",
          spec.numShards(),
          manifest.records - sumRecords(existing),
          out,
          total);
    } catch (IOException e) {
      throw new UncheckedIOException("tensorprotos: committing the write to " + out + " failed", e);
    }
  }

  private static long sumRecords(List<Manifest.Shard> shards) {
    long n = 0;
    for (Manifest.Shard s : shards) {
      n += s.records;
    }
    return n;
  }

  private Manifest.Shard emptyShard(Path target) throws IOException {
    String type = Registries.get().provider(spec.dbType()).name();
    Registries.get().open(type, target.toString(), Mode.NEW).close();
    Manifest.Shard s = new Manifest.Shard();
    s.db_type = type;
    s.bytes = ShardFiles.size(target);
    return s;
  }

  @Override
  public void abort(WriterCommitMessage[] messages) {
    try {
      removeTemporary(Path.of(spec.outDir()));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "tensorprotos: cleaning up the failed write to " + spec.outDir() + " failed", e);
    }
  }

  /** Deletes this job's folder under _temporary, and _temporary itself once it is empty. */
  private void removeTemporary(Path out) throws IOException {
    Path temporary = out.resolve(ShardFiles.TEMPORARY);
    ShardFiles.deleteRecursively(temporary.resolve(spec.jobId()));
    if (Files.isDirectory(temporary)) {
      try (Stream<Path> left = Files.list(temporary)) {
        if (left.findAny().isEmpty()) {
          Files.delete(temporary);
        }
      }
    }
  }
}

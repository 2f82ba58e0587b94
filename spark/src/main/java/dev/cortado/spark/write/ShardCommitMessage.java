package dev.cortado.spark.write;

import org.apache.spark.sql.connector.write.WriterCommitMessage;

/** What a committed task wrote: shard {@code shard}, now at {@code path} under _temporary. */
public record ShardCommitMessage(int shard, String path, Manifest.Shard stats)
    implements WriterCommitMessage {
  private static final long serialVersionUID = 1L;
}

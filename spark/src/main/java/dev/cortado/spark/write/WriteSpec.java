package dev.cortado.spark.write;

import java.io.Serializable;

/**
 * What every write task needs: the output directory, the backend, the number of shards, whether
 * each input partition is one shard ({@code shard_by=input}) instead of Spark clustering the rows
 * by key, the job's id (its folder under {@code _temporary}), the local staging folder and the row
 * encoder.
 */
public record WriteSpec(
    String outDir,
    String dbType,
    int numShards,
    boolean byInput,
    String jobId,
    String stagingDir,
    RowEncoder encoder)
    implements Serializable {}

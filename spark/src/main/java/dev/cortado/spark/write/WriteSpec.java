package dev.cortado.spark.write;

import java.io.Serializable;

/**
 * What every write task needs: the output directory, the backend, the number of shards, the job's
 * id (its folder under {@code _temporary}), the local staging folder and the row encoder.
 */
public record WriteSpec(
    String outDir,
    String dbType,
    int numShards,
    String jobId,
    String stagingDir,
    RowEncoder encoder)
    implements Serializable {}

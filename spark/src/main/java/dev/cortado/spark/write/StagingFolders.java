package dev.cortado.spark.write;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write tasks' staging folders, {@code cortado-shard-<pid>-<random>} in the staging root: the
 * process id of the JVM that made one says whose it is. A task deletes its folder when it commits
 * or aborts; a JVM that is killed (SIGKILL, or SIGTERM while a task still runs) cannot, so every
 * new task first removes the folders of processes that no longer run, and names them in the log, as
 * the CLI's {@code <out>.partial-<pid>} outputs are removed by the next run.
 */
final class StagingFolders {
  private static final Logger LOG = LoggerFactory.getLogger(StagingFolders.class);
  private static final String PREFIX = "cortado-shard-";

  private StagingFolders() {}

  /** A new, empty staging folder for a task of this JVM. */
  static Path create(Path root) throws IOException {
    return Files.createTempDirectory(root, PREFIX + ProcessHandle.current().pid() + "-");
  }

  /**
   * Deletes the staging folders under {@code root} whose process no longer runs. Folders of live
   * processes, of this one, and names that do not carry a process id are left alone; a folder that
   * another task removes at the same time is not an error.
   */
  static void removeAbandoned(Path root) {
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(root, PREFIX + "*")) {
      for (Path folder : folders) {
        OptionalLong pid = owner(folder.getFileName().toString());
        if (pid.isEmpty() || ProcessHandle.of(pid.getAsLong()).isPresent()) {
          continue;
        }
        try {
          ShardFiles.deleteRecursively(folder);
          LOG.warn(
              "tensorprotos: removed the staging folder {} of process {}, which no longer runs",
              folder,
              pid.getAsLong());
        } catch (NoSuchFileException e) {
          // Another task of this machine removed it first.
        } catch (IOException e) {
          LOG.warn("tensorprotos: cannot remove the abandoned staging folder {}: {}", folder, e);
        }
      }
    } catch (IOException e) {
      LOG.warn("tensorprotos: cannot list the staging folder {}: {}", root, e.toString());
    }
  }

  /** The process id in {@code cortado-shard-<pid>-<random>}, if the name has one. */
  static OptionalLong owner(String name) {
    if (!name.startsWith(PREFIX)) {
      return OptionalLong.empty();
    }
    int end = name.indexOf('-', PREFIX.length());
    if (end <= PREFIX.length()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(name.substring(PREFIX.length(), end)));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}

package dev.cortado.spark.write;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/** Names and file moves of the write protocol. */
public final class ShardFiles {
  public static final String TEMPORARY = "_temporary";
  public static final String MANIFEST = "_manifest.json";
  public static final String SUCCESS = "_SUCCESS";

  private ShardFiles() {}

  /** {@code shard-00001-of-00004}. */
  public static String shardName(int index, int total) {
    return String.format("shard-%05d-of-%05d", index, total);
  }

  /** True when {@code out} is a file, or a directory with anything in it. */
  public static boolean exists(Path out) {
    if (!Files.exists(out)) {
      return false;
    }
    if (!Files.isDirectory(out)) {
      return true;
    }
    try (Stream<Path> entries = Files.list(out)) {
      return entries.findAny().isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + out, e);
    }
  }

  /**
   * Moves a file or directory to {@code target}, atomically when both are on one file system; else
   * copies it next to the target, renames the copy into place and deletes the source, so the target
   * never holds a partial copy.
   */
  public static void move(Path source, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
      return;
    } catch (AtomicMoveNotSupportedException e) {
      // another file system: copy, then rename within the target's file system
    }
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    deleteRecursively(partial);
    copyRecursively(source, partial);
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    deleteRecursively(source);
  }

  /** Deletes a file or a directory tree; a missing path is fine. */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** The size in bytes of a file, or of all files under a directory. */
  public static long size(Path path) throws IOException {
    if (Files.isRegularFile(path)) {
      return Files.size(path);
    }
    try (Stream<Path> files = Files.walk(path)) {
      long total = 0;
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p)) {
          total += Files.size(p);
        }
      }
      return total;
    }
  }

  private static void copyRecursively(Path source, Path target) throws IOException {
    if (Files.isRegularFile(source)) {
      Files.copy(source, target);
      return;
    }
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path to = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
  }
}

package dev.cortado.spark.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado spark-make-db}: a folder of JPEG/PNG files into a sharded Caffe2 image DB. */
@Command(
    name = "spark-make-db",
    sortOptions = false,
    mixinStandardHelpOptions = true,
    description = {
      "Builds a sharded image DB from a folder of JPEG/PNG files with Spark's binaryFile source"
          + " and Java ImageIO. Each record: key %08d_<relative path> (files in path order),"
          + " value TensorProtos {BYTE image [C,H,W] in BGR order, INT32 label}. Labels come"
          + " from the sub-folder names (sorted; the first is 0) or from --labels."
    })
final class SparkMakeDbCommand implements Callable<Integer> {
  private static final Pattern SIZE = Pattern.compile("(\\d+)x(\\d+)");
  private static final String IMAGE_GLOB = "*.{png,PNG,jpg,JPG,jpeg,JPEG}";

  @Spec CommandSpec spec;

  @Option(
      names = "--images",
      required = true,
      paramLabel = "DIR",
      description = "Folder of images, searched recursively (*.png, *.jpg, *.jpeg).")
  String images;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write.")
  String out;

  @Option(
      names = "--out-shards",
      required = true,
      paramLabel = "N",
      description = "How many shard DBs to write.")
  int outShards;

  @Option(
      names = "--out-type",
      paramLabel = "TYPE",
      defaultValue = "lmdb",
      description = "Backend of the shards (default: ${DEFAULT-VALUE}).")
  String outType;

  @Option(
      names = "--size",
      paramLabel = "WxH",
      description =
          "Scale every image to W x H pixels (bilinear). Without it each image keeps its size,"
              + " and TensorProtosDBInput needs them all the same.")
  String size;

  @Option(
      names = "--channels",
      paramLabel = "C",
      defaultValue = "3",
      description = "3 (BGR) or 1 (gray) (default: ${DEFAULT-VALUE}).")
  int channels;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "CSV of 'relative/path.png,label' lines (a comma or white space between; an optional"
              + " header line) instead of sub-folder names.")
  String labels;

  @Option(
      names = "--master",
      paramLabel = "URL",
      defaultValue = SparkSessions.DEFAULT_MASTER,
      description = "Spark master (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--overwrite", description = "Replace --out if it exists.")
  boolean overwrite;

  @Override
  public Integer call() {
    if (outShards < 1) {
      throw new ToolException("--out-shards must be >= 1, got " + outShards);
    }
    if (channels != 1 && channels != 3) {
      throw new ToolException("--channels must be 1 or 3, got " + channels);
    }
    int width = 0;
    int height = 0;
    if (size != null) {
      Matcher m = SIZE.matcher(size);
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(2)) < 1) {
        throw new ToolException(
            "--size must be WxH with W, H >= 1 (like 224x224), got '" + size + "'");
      }
      width = Integer.parseInt(m.group(1));
      height = Integer.parseInt(m.group(2));
    }
    Main root = Main.root(spec);
    try (SparkSessions.Session session =
        SparkSessions.start(
            "spark-make-db", master, SparkSessions.progressWanted(root.quiet), root.verbose)) {
      SparkSession spark = session.spark();
      Outputs.refuseInputOverlap(
          spark, out, labels == null ? List.of(images) : List.of(images, labels));
      Outputs.checkOut(spark, out, overwrite);
      FileSystem fs = fileSystem(spark, images);
      Path base = fs.makeQualified(new Path(images));
      try {
        if (!fs.getFileStatus(base).isDirectory()) {
          throw new ToolException("--images " + images + " is not a directory");
        }
      } catch (java.io.FileNotFoundException e) {
        throw new ToolException("--images " + images + ": no such directory", e);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --images " + images, e);
      }
      Dataset<Row> files =
          spark
              .read()
              .format("binaryFile")
              .option("recursiveFileLookup", "true")
              .option("pathGlobFilter", IMAGE_GLOB)
              .load(base.toString());
      List<String> paths =
          new ArrayList<>(files.select("path").as(Encoders.STRING()).collectAsList());
      if (paths.isEmpty()) {
        throw new ToolException("--images " + images + ": no PNG or JPEG files found");
      }
      Map<String, String> relative = new TreeMap<>();
      for (String p : paths) {
        relative.put(relativePath(base, new Path(p), p), p);
      }
      Map<String, Integer> labelOf =
          labels == null ? folderLabels(relative.keySet()) : csvLabels(spark, relative.keySet());
      Map<String, ImageRecords.Target> targets = new HashMap<>();
      long index = 0;
      for (Map.Entry<String, String> e : relative.entrySet()) {
        String key = String.format(Locale.ROOT, "%08d_%s", index++, e.getKey());
        targets.put(e.getValue(), new ImageRecords.Target(key, labelOf.get(e.getKey())));
      }
      Broadcast<Map<String, ImageRecords.Target>> shared =
          JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(targets);
      StructType raw =
          new StructType()
              .add("key", DataTypes.BinaryType, false)
              .add("value", DataTypes.BinaryType, false);
      Dataset<Row> records =
          files
              .select("path", "content")
              .mapPartitions(new ImageRecords(shared, width, height, channels), Encoders.row(raw));
      Outputs.Written written = Outputs.writeShards(records, out, outShards, outType, overwrite);
      PrintWriter stdout = spec.commandLine().getOut();
      if (labels == null) {
        stdout.println("spark-make-db: labels: " + describeClasses(labelOf, relative.keySet()));
      }
      Outputs.summary(stdout, "spark-make-db", written, "shards (" + outType + ")", out);
      return 0;
    }
  }

  private static FileSystem fileSystem(SparkSession spark, String path) {
    try {
      return new Path(path).getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + path, e);
    }
  }

  /** {@code file}'s path below {@code base}, with '/' between the parts. */
  static String relativePath(Path base, Path file, String spelled) {
    List<String> parts = new ArrayList<>();
    Path p = Path.getPathWithoutSchemeAndAuthority(file);
    Path b = Path.getPathWithoutSchemeAndAuthority(base);
    while (p != null && !p.equals(b)) {
      parts.add(0, p.getName());
      p = p.getParent();
    }
    if (p == null) {
      throw new ToolException("image " + spelled + " is not below --images " + base);
    }
    return String.join("/", parts);
  }

  /** ImageNet style: the sub-folder names, sorted, are labels 0, 1, ... */
  private Map<String, Integer> folderLabels(Iterable<String> relativePaths) {
    TreeSet<String> classes = new TreeSet<>();
    for (String r : relativePaths) {
      int slash = r.indexOf('/');
      if (slash < 0) {
        throw new ToolException(
            "image "
                + r
                + " is directly in --images "
                + images
                + "; put each class in its own sub-folder, or give --labels FILE");
      }
      classes.add(r.substring(0, slash));
    }
    Map<String, Integer> classLabel = new HashMap<>();
    for (String c : classes) {
      classLabel.put(c, classLabel.size());
    }
    Map<String, Integer> labelOf = new HashMap<>();
    for (String r : relativePaths) {
      labelOf.put(r, classLabel.get(r.substring(0, r.indexOf('/'))));
    }
    return labelOf;
  }

  private static String describeClasses(Map<String, Integer> labelOf, Iterable<String> paths) {
    TreeMap<Integer, String> names = new TreeMap<>();
    for (String r : paths) {
      names.put(labelOf.get(r), r.substring(0, r.indexOf('/')));
    }
    StringBuilder sb = new StringBuilder();
    sb.append(names.size()).append(" classes from the sub-folder names: ");
    int shown = 0;
    for (Map.Entry<Integer, String> e : names.entrySet()) {
      if (shown == 10 && names.size() > 12) {
        sb.append(", ... ");
        Map.Entry<Integer, String> last = names.lastEntry();
        sb.append(last.getKey()).append(" = ").append(last.getValue());
        break;
      }
      if (shown > 0) {
        sb.append(", ");
      }
      sb.append(e.getKey()).append(" = ").append(e.getValue());
      shown++;
    }
    return sb.toString();
  }

  /** Labels from the --labels CSV; every image found must have one. */
  private Map<String, Integer> csvLabels(SparkSession spark, Iterable<String> relativePaths) {
    Map<String, Integer> fromFile = new HashMap<>();
    Path path = new Path(labels);
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(fileSystem(spark, labels).open(path), StandardCharsets.UTF_8))) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        int cut = Math.max(t.lastIndexOf(','), Math.max(t.lastIndexOf(' '), t.lastIndexOf('\t')));
        String name = cut < 0 ? t : t.substring(0, cut).strip();
        String label = cut < 0 ? "" : t.substring(cut + 1).strip();
        int value;
        try {
          value = Integer.parseInt(label);
        } catch (NumberFormatException e) {
          if (lineNo == 1) {
            continue; // a header line
          }
          throw new ToolException(
              "--labels "
                  + labels
                  + " line "
                  + lineNo
                  + ": expected 'path,label' with an"
                  + " integer label, found '"
                  + line
                  + "'");
        }
        while (name.startsWith("./")) {
          name = name.substring(2);
        }
        fromFile.put(name, value);
      }
    } catch (java.io.FileNotFoundException e) {
      throw new ToolException("--labels " + labels + ": no such file", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read --labels " + labels, e);
    }
    Map<String, Integer> labelOf = new HashMap<>();
    List<String> missing = new ArrayList<>();
    for (String r : relativePaths) {
      Integer v = fromFile.get(r);
      if (v == null) {
        missing.add(r);
      } else {
        labelOf.put(r, v);
      }
    }
    if (!missing.isEmpty()) {
      throw new ToolException(
          "--labels "
              + labels
              + " has no label for "
              + missing.size()
              + " image(s) under --images "
              + images
              + ", the first: "
              + missing.get(0));
    }
    return labelOf;
  }
}

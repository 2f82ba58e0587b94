package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Caffe2's {@code Print}: one line per run, {@code Tensor <name> of type <type>. Dims: (2,3,):
 * v0,v1,...}, on standard error (where Caffe2's log goes, so it never mixes with a tool's standard
 * output) or appended to {@code <root folder>/<blob>.log} with {@code to_file=1}.
 */
final class PrintOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Print")
          .numInputs(1)
          .numOutputs(0)
          .arg("to_file", "0", "append to <root folder>/<input name>.log instead of standard error")
          .arg("limit", "0", "print at most this many elements; 0 means 1000")
          .arg("every_n", "1", "print on every n-th run only")
          .doc("Logs the contents of a tensor or the type of any other blob.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private static final int DEFAULT_LIMIT = 1000;

  private final OperatorContext ctx;
  private final boolean toFile;
  private final int limit;
  private final int everyN;
  private long occurrences;

  PrintOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.toFile = ctx.args().getBool("to_file", false);
    int l = ctx.args().getInt("limit", 0);
    this.limit = l > 0 ? l : DEFAULT_LIMIT;
    this.everyN = ctx.args().getInt("every_n", 1);
    if (everyN < 1) {
      throw ctx.args().error("every_n", "must be >= 1, found " + everyN);
    }
  }

  @Override
  public void run() {
    if (occurrences++ % everyN != 0) {
      return;
    }
    Object value = ctx.input(0).get();
    String line =
        value instanceof Tensor t
            ? format(ctx.inputName(0), t, limit)
            : "Blob "
                + ctx.inputName(0)
                + " of type "
                + (value == null ? "(empty)" : value.getClass().getName());
    if (toFile) {
      Path file;
      try {
        file = Path.of(ctx.rootFolder(), ctx.inputName(0) + ".log");
      } catch (InvalidPathException e) {
        throw ctx.error(
            "cannot print blob '"
                + ctx.inputName(0)
                + "' to a file: "
                + ctx.rootFolder()
                + "/"
                + ctx.inputName(0)
                + ".log is no valid path: "
                + e.getReason(),
            e);
      }
      try (Writer w =
          Files.newBufferedWriter(
              file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        w.write(line);
        w.write('\n');
      } catch (IOException e) {
        throw ctx.error("cannot append to " + file + ": " + e.getMessage(), e);
      }
    } else {
      PrintStream err = System.err;
      err.println(line);
    }
  }

  /** Caffe2's TensorPrinter line: meta, then up to {@code limit} comma-separated values. */
  static String format(String name, Tensor t, int limit) {
    StringBuilder sb = new StringBuilder("Tensor ").append(name).append(" of type ");
    sb.append(typeName(t.dataType())).append(". Dims: (");
    for (long d : t.dims()) {
      sb.append(d).append(',');
    }
    sb.append("): ");
    int n = (int) Math.min(t.numel(), limit);
    if (t.dataType() == DataType.STRING) {
      byte[][] s = t.strings();
      for (int i = 0; i < n; i++) {
        sb.append(i > 0 ? "," : "").append(new String(s[i], StandardCharsets.UTF_8));
      }
      return sb.toString();
    }
    ByteBuffer b = t.data();
    DataType type = t.dataType();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      switch (type) {
        case FLOAT -> sb.append(cppFormat(b.getFloat(i * 4)));
        case DOUBLE -> sb.append(cppFormat(b.getDouble(i * 8)));
        case FLOAT16 -> sb.append(cppFormat(Elements.halfToFloat(b.getShort(i * 2))));
        case BOOL -> sb.append(b.get(i) != 0 ? 1 : 0);
        default -> sb.append(Elements.getLong(b, type, i));
      }
    }
    return sb.toString();
  }

  /**
   * A floating-point value as C++'s default {@code ostream <<} writes it ({@code %g} with 6
   * significant digits, trailing zeros dropped): {@code 1}, {@code 0.00390625}, {@code 1e+06},
   * {@code nan}, {@code -inf}.
   */
  static String cppFormat(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == 0) {
      return (1 / v) < 0 ? "-0" : "0";
    }
    BigDecimal rounded = new BigDecimal(v).round(new MathContext(6, RoundingMode.HALF_EVEN));
    int exponent = rounded.precision() - rounded.scale() - 1;
    if (exponent < -4 || exponent >= 6) {
      BigDecimal mantissa = rounded.movePointLeft(exponent).stripTrailingZeros();
      String m = mantissa.toPlainString();
      String e = String.format("%02d", Math.abs(exponent));
      return m + "e" + (exponent < 0 ? "-" : "+") + e;
    }
    return rounded.stripTrailingZeros().toPlainString();
  }

  /** The C++ type names Caffe2 prints. */
  static String typeName(DataType t) {
    return switch (t) {
      case FLOAT -> "float";
      case DOUBLE -> "double";
      case INT32 -> "int";
      case INT64 -> "long";
      case INT16 -> "short";
      case UINT16 -> "unsigned short";
      case INT8 -> "signed char";
      case UINT8, BYTE -> "unsigned char";
      case BOOL -> "bool";
      case FLOAT16 -> "c10::Half";
      case STRING -> "std::string";
      case UNDEFINED -> "nullptr (uninitialized)";
    };
  }
}

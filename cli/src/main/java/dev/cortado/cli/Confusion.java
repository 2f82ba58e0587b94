package dev.cortado.cli;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.io.PrintWriter;
import java.nio.ByteBuffer;

/**
 * A confusion matrix of a classifier: rows are the true labels, columns the predicted ones (the
 * highest-scoring class, the first one on ties, as Caffe2's Accuracy with top_k 1).
 */
final class Confusion {
  private final int classes;
  private final long[][] counts;
  private long total;
  private long correct;
  private long outOfRange;

  Confusion(int classes) {
    this.classes = classes;
    this.counts = new long[classes][classes];
  }

  /** Adds the first {@code rows} rows of a [N, classes] float score tensor against int labels. */
  void add(Tensor scores, Tensor labels, long rows) {
    if (scores.dataType() != DataType.FLOAT || scores.rank() != 2 || scores.dim(1) != classes) {
      throw new CliException(
          "expected float scores of shape [N, " + classes + "], found " + scores);
    }
    if (labels.numel() < rows || scores.dim(0) < rows) {
      throw new CliException(
          "expected at least " + rows + " scores and labels, found " + scores + " and " + labels);
    }
    ByteBuffer s = scores.data();
    ByteBuffer l = labels.data();
    for (int r = 0; r < rows; r++) {
      int best = 0;
      float bestScore = s.getFloat(r * classes * 4);
      for (int c = 1; c < classes; c++) {
        float v = s.getFloat((r * classes + c) * 4);
        if (v > bestScore) {
          best = c;
          bestScore = v;
        }
      }
      long label = labels.dataType() == DataType.INT64 ? l.getLong(r * 8) : l.getInt(r * 4);
      total++;
      if (label < 0 || label >= classes) {
        outOfRange++;
        continue;
      }
      counts[(int) label][best]++;
      if (label == best) {
        correct++;
      }
    }
  }

  long total() {
    return total;
  }

  long correct() {
    return correct;
  }

  double accuracy() {
    return total == 0 ? 0 : (double) correct / total;
  }

  long count(int label, int predicted) {
    return counts[label][predicted];
  }

  /** The matrix as a table with class names down the side and class numbers across. */
  void print(PrintWriter out, String[] names) {
    out.println("  confusion matrix (rows: true class, columns: predicted class)");
    StringBuilder header = new StringBuilder(String.format("    %-14s", ""));
    for (int c = 0; c < classes; c++) {
      header.append(String.format("%6d", c));
    }
    header.append("   recall");
    out.println(header);
    for (int r = 0; r < classes; r++) {
      long rowTotal = 0;
      StringBuilder row =
          new StringBuilder(String.format("    %d %-12s", r, r < names.length ? names[r] : ""));
      for (int c = 0; c < classes; c++) {
        row.append(String.format("%6d", counts[r][c]));
        rowTotal += counts[r][c];
      }
      row.append(
          rowTotal == 0
              ? "        -"
              : String.format("   %5.1f%%", 100.0 * counts[r][r] / rowTotal));
      out.println(row);
    }
    if (outOfRange > 0) {
      out.printf("    %d labels outside 0..%d were counted as wrong%n", outOfRange, classes - 1);
    }
  }
}

package dev.cortado.db;

/** How a DB is opened, as in Caffe2: read an existing DB, append to one, or create a new one. */
public enum Mode {
  READ,
  /** Append to an existing DB (created if the backend allows). */
  WRITE,
  /** Create a new DB; what happens when one exists is backend-specific and documented there. */
  NEW
}

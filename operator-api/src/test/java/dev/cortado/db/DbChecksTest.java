package dev.cortado.db;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DbChecksTest {
  @Test
  void passingChecksThrowNothing() {
    assertThatCode(
            () -> {
              DbChecks.dbOpen(false, "lmdb", "/d", "newCursor");
              DbChecks.cursorOpen(false, false, "lmdb", "/d", "key");
              DbChecks.transactionOpen(false, false, "lmdb", "/d", "put");
              DbChecks.onRecord(true, "lmdb", "/d", "value");
              DbChecks.writable(Mode.NEW, "lmdb", "/d");
            })
        .doesNotThrowAnyException();
  }

  @Test
  void callsAfterCloseNameWhatWasClosed() {
    assertThatThrownBy(() -> DbChecks.dbOpen(true, "lmdb", "/d", "newCursor"))
        .isInstanceOf(DbException.class)
        .hasMessage("lmdb '/d': newCursor after the DB was closed");
    assertThatThrownBy(() -> DbChecks.cursorOpen(true, true, "minidb", "/f", "key"))
        .hasMessage("minidb '/f': cursor key() after the cursor was closed");
    assertThatThrownBy(() -> DbChecks.cursorOpen(false, true, "minidb", "/f", "next"))
        .hasMessage("minidb '/f': cursor next() after the DB was closed");
    assertThatThrownBy(() -> DbChecks.transactionOpen(true, false, "rocksdb", "/r", "put"))
        .hasMessage("rocksdb '/r': transaction put() after the transaction was closed");
    assertThatThrownBy(() -> DbChecks.transactionOpen(false, true, "rocksdb", "/r", "commit"))
        .hasMessage("rocksdb '/r': transaction commit() after the DB was closed");
  }

  @Test
  void pastTheEndAndReadOnlyErrors() {
    assertThatThrownBy(() -> DbChecks.onRecord(false, "leveldb", "/l", "value"))
        .isInstanceOf(DbException.class)
        .hasMessage("leveldb '/l': cursor value() past the end");
    assertThatThrownBy(
            () -> {
              throw DbChecks.pastEnd("minidb", "/f", "key", "end of the data at byte offset 42");
            })
        .hasMessage("minidb '/f': cursor key() past the end (end of the data at byte offset 42)");
    assertThatThrownBy(() -> DbChecks.writable(Mode.READ, "memory", "m"))
        .hasMessage("memory 'm' is open for READ; a transaction needs WRITE or NEW");
  }
}

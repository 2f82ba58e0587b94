package dev.cortado.prefetch.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/** Tests of the read-ahead rule: after k takes and a close, exactly k + depth batches are read. */
public final class ReadAheadAtCloseStress {
  private ReadAheadAtCloseStress() {}

  /** Depth 1, one take, then close, racing the producer's read-ahead. */
  @JCStressTest
  @Description("Depth 1: take batch 0, close; the producer reads batch 1 ahead whatever the order.")
  @Outcome(id = "0, -1, 2", expect = ACCEPTABLE, desc = "batch 0 taken, batch 1 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "a torn batch, a lost read-ahead or a read past it")
  @State
  public static class DepthOne {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 1);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(JJJ_Result r) {
      r.r1 = Numbered.take(p);
      p.close();
      r.r2 = Numbered.take(p);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
      r.r3 = source.fills;
    }
  }

  /** Depth 3, two takes, then close. */
  @JCStressTest
  @Description("Depth 3: take batches 0 and 1, close; exactly 2 + 3 batches are read.")
  @Outcome(id = "0, 1, 5", expect = ACCEPTABLE, desc = "batches 0 and 1 in order, 3 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "out of order, torn, or a read-ahead other than 3")
  @State
  public static class DepthThree {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 3);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(JJJ_Result r) {
      r.r1 = Numbered.take(p);
      r.r2 = Numbered.take(p);
      p.close();
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
      r.r3 = source.fills;
    }
  }

  /**
   * Twelve takes back to back, the consumer filling whatever batch nobody has started; close still
   * gets exactly one batch read ahead.
   */
  @JCStressTest
  @Description("Depth 1: twelve takes in a row, then close; in order, exactly 12 + 1 read.")
  @Outcome(id = "0, 11, 13", expect = ACCEPTABLE, desc = "in order, the last is 11, 1 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "out of order, torn, or a read-ahead other than 1")
  @State
  public static class BackToBackTakes {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 1);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(JJJ_Result r) {
      Numbered.takeInOrderThenClose(p, 12, r);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
      r.r3 = source.fills;
    }
  }

  /**
   * Twelve takes back to back by a consumer that reads its own batches from the third take on (the
   * producer stands down): close still gets exactly the read-ahead, from the producer.
   */
  @JCStressTest
  @Description("Depth 3, paced consumer: twelve takes, then close; in order, exactly 12 + 3 read.")
  @Outcome(id = "0, 11, 15", expect = ACCEPTABLE, desc = "in order, the last is 11, 3 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "out of order, torn, or a read-ahead other than 3")
  @State
  public static class PacedTakes {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.pacedPrefetcher(source, 3);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(JJJ_Result r) {
      Numbered.takeInOrderThenClose(p, 12, r);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
      r.r3 = source.fills;
    }
  }

  /**
   * Close from a third thread races a take: the read-ahead follows what was taken. Three actors:
   * jcstress runs it on machines with at least 3 CPUs.
   */
  @JCStressTest
  @Description("Depth 1: a take races a close from another thread.")
  @Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "the take won: batch 0, then 1 read ahead")
  @Outcome(id = "-1, 1", expect = ACCEPTABLE, desc = "close won: 'closed', batch 0 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "a read-ahead that does not match what was taken")
  @State
  public static class TakeRacesClose {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 1);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(org.openjdk.jcstress.infra.results.JJ_Result r) {
      r.r1 = Numbered.take(p);
    }

    @Actor
    public void closer() {
      p.close();
    }

    @Arbiter
    public void arbiter(org.openjdk.jcstress.infra.results.JJ_Result r) {
      r.r2 = source.fills;
    }
  }

  /**
   * A take races a close made on the producer's side: either the take fills batch 0 itself first
   * (the producer has not run) or it sees "closed"; the read-ahead follows what was taken.
   */
  @JCStressTest
  @Description("Depth 1: the producer side closes, then runs; a take races the close.")
  @Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "take first: batch 0, then 1 read ahead")
  @Outcome(id = "-1, 1", expect = ACCEPTABLE, desc = "close first: 'closed', 0 read ahead")
  @Outcome(expect = FORBIDDEN, desc = "a torn batch, a hang, or a wrong read-ahead")
  @State
  public static class TakeMeetsClose {
    final Numbered source = new Numbered(Long.MAX_VALUE);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 1);

    @Actor
    public void producerSide() {
      p.close();
      p.produce();
    }

    @Actor
    public void consumer(org.openjdk.jcstress.infra.results.JJ_Result r) {
      r.r1 = Numbered.take(p);
    }

    @Arbiter
    public void arbiter(org.openjdk.jcstress.infra.results.JJ_Result r) {
      r.r2 = source.fills;
    }
  }

  /** A failure reaches the consumer after the batches before it, and again on the next take. */
  @JCStressTest
  @Description("Depth 2: batch 1 fails; takes see batch 0, then the failure, twice.")
  @Outcome(id = "0, -2, -2", expect = ACCEPTABLE, desc = "in order, failure sticky")
  @Outcome(expect = FORBIDDEN, desc = "the failure overtook batch 0, or was lost")
  @State
  public static class FailureInOrder {
    final Numbered source = new Numbered(1);
    final Prefetcher<Numbered.Slot> p = Numbered.prefetcher(source, 2);

    @Actor
    public void producer() {
      p.produce();
    }

    @Actor
    public void consumer(JJJ_Result r) {
      r.r1 = Numbered.take(p);
      r.r2 = Numbered.take(p);
      r.r3 = Numbered.take(p);
      p.close();
    }
  }
}

package dev.cortado.prefetch.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdaptiveSpinTest {
  private static final long BOUND = 20_000;

  @Test
  void aMetConditionReturnsAtOnceWithoutCountingAPoll() {
    AdaptiveSpin spin = new AdaptiveSpin(BOUND);
    assertThat(spin.await(() -> true)).isTrue();
    assertThat(spin.polls()).isZero();
  }

  @Test
  void failedPollsSkipTwiceAsManyWaitsEachTime() {
    AdaptiveSpin spin = new AdaptiveSpin(BOUND);
    assertThat(spin.await(() -> false)).isFalse();
    assertThat(spin.failedPolls()).isEqualTo(1);
    // One skipped wait, then a poll that fails again, then two skipped waits.
    assertThat(skippedBeforeNextPoll(spin)).isEqualTo(1);
    assertThat(skippedBeforeNextPoll(spin)).isEqualTo(2);
    assertThat(skippedBeforeNextPoll(spin)).isEqualTo(4);
    assertThat(spin.failedPolls()).isEqualTo(4);
  }

  @Test
  void aSuccessfulPollClearsThePenalty() {
    AdaptiveSpin spin = new AdaptiveSpin(BOUND);
    spin.await(() -> false); // fails: one wait to skip
    spin.await(() -> false); // skipped
    int[] calls = {0};
    assertThat(spin.await(() -> ++calls[0] > 2)).isTrue();
    assertThat(skippedBeforeNextPoll(spin)).isZero();
  }

  @Test
  void aQuickWakeUpResumesPollingAtOnce() {
    AdaptiveSpin spin = new AdaptiveSpin(BOUND);
    spin.await(() -> false);
    spin.await(() -> false); // skipped
    spin.await(() -> false); // fails: two waits to skip now
    spin.wokeAfter(BOUND / 2);
    assertThat(skippedBeforeNextPoll(spin)).isZero();
  }

  @Test
  void aSlowWakeUpKeepsThePenalty() {
    AdaptiveSpin spin = new AdaptiveSpin(BOUND);
    spin.await(() -> false);
    spin.wokeAfter(BOUND);
    assertThat(skippedBeforeNextPoll(spin)).isEqualTo(1);
  }

  @Test
  void aZeroBoundNeverPolls() {
    AdaptiveSpin spin = new AdaptiveSpin(0);
    assertThat(spin.await(() -> false)).isFalse();
    spin.wokeAfter(0);
    assertThat(spin.await(() -> false)).isFalse();
    assertThat(spin.polls()).isZero();
  }

  /** Waits on a condition that stays false until one wait polls; returns the waits skipped. */
  private static int skippedBeforeNextPoll(AdaptiveSpin spin) {
    long polls = spin.polls();
    int skipped = 0;
    while (true) {
      spin.await(() -> false);
      if (spin.polls() > polls) {
        return skipped;
      }
      skipped++;
    }
  }
}

package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CudaAvailabilityTest {

  @Test
  void probeNeverThrowsAndIsStable() {
    CudaAvailability first = CudaAvailability.probe();
    assertThat(CudaAvailability.probe()).isSameAs(first);
    if (first.isAvailable()) {
      assertThat(first.deviceCount()).isPositive();
      assertThat(first.describe()).startsWith("CUDA available: ");
    } else {
      // One line with the reason, never a stack.
      assertThat(first.cause()).isNotBlank().doesNotContain("\n").doesNotContain("\tat ");
      assertThat(first.describe()).isEqualTo("CUDA unavailable: " + first.cause());
    }
  }

  @Test
  void missingDeviceErrorNamesTheCause() {
    CudaAvailability none =
        CudaAvailability.unavailable(
            "cudaGetDeviceCount returned cudaErrorInsufficientDriver (35): driver too old");
    assertThat(none.isAvailable()).isFalse();
    assertThat(none.missing(0))
        .isInstanceOf(NoCudaDeviceException.class)
        .hasMessage(
            "no CUDA device available: cudaGetDeviceCount returned"
                + " cudaErrorInsufficientDriver (35): driver too old");
  }

  @Test
  void deviceIdBeyondTheCountIsNamed() {
    CudaAvailability two = CudaAvailability.available(2, 13000, 12060);
    assertThat(two.missing(0)).isNull();
    assertThat(two.missing(1)).isNull();
    assertThat(two.missing(2))
        .hasMessage(
            "no CUDA device available: device_option asks for CUDA device 2 but 2 devices are present"
                + " (ids 0..1)");
    assertThat(CudaAvailability.available(1, 0, 0).missing(5))
        .hasMessageContaining("but 1 device is present (ids 0..0)");
    assertThat(two.describe())
        .isEqualTo("CUDA available: 2 device(s), driver 13.0, runtime 12.6 (JCuda, static cudart)");
  }

  @Test
  void availableNeedsADevice() {
    assertThatThrownBy(() -> CudaAvailability.available(0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void jcudaEngineRefusesWithTheOneLineErrorWithoutADevice() {
    CudaAvailability a = CudaAvailability.probe();
    if (a.isAvailable()) {
      assertThat(JCudaEngine.open().availability().deviceCount()).isEqualTo(a.deviceCount());
      return;
    }
    assertThatThrownBy(JCudaEngine::open)
        .isExactlyInstanceOf(NoCudaDeviceException.class)
        .hasMessage("no CUDA device available: " + a.cause())
        .hasNoCause();
    assertThatThrownBy(() -> CudaContext.open(CudaDevices.cuda(0), "Copy 'x'"))
        .isExactlyInstanceOf(NoCudaDeviceException.class)
        .hasMessage("no CUDA device available: " + a.cause() + "; needed by Copy 'x'");
  }
}

package dev.cortado.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.TextFormat;
import dev.cortado.CortadoException;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.OperatorDef;
import org.junit.jupiter.api.Test;

class CudaDevicesTest {

  private static DeviceOption parse(String text) throws Exception {
    OperatorDef.Builder b = OperatorDef.newBuilder();
    TextFormat.merge("type: 'TensorProtosDBInput' device_option { " + text + " }", b);
    return b.build().getDeviceOption();
  }

  @Test
  void deviceIdComesFromTheDeviceIdField() throws Exception {
    assertThat(CudaDevices.deviceId(parse("device_type: 1 device_id: 3"), "op")).isEqualTo(3);
    assertThat(CudaDevices.isCuda(parse("device_type: 1"))).isTrue();
  }

  @Test
  void unsetDeviceIdMeansGpuZero() throws Exception {
    assertThat(CudaDevices.deviceId(parse("device_type: 1"), "op")).isZero();
  }

  @Test
  void cudaGpuIdFrom2018IsTheSameWireField() throws Exception {
    // 2018 Caffe2 wrote cuda_gpu_id = 2; on the wire that is device_id.
    byte[] wire = {0x08, 0x01, 0x10, 0x02};
    assertThat(CudaDevices.deviceId(DeviceOption.parseFrom(wire), "op")).isEqualTo(2);
  }

  @Test
  void nonCudaOptionsAreRefusedWithTheFoundType() throws Exception {
    assertThatThrownBy(() -> CudaDevices.deviceId(parse("device_type: 0"), "Copy 'a' (op #2)"))
        .isInstanceOf(CortadoException.class)
        .hasMessage("Copy 'a' (op #2): expected device_option.device_type 1 (CUDA), found 0 (CPU)");
    assertThatThrownBy(() -> CudaDevices.deviceId(parse("device_type: 6"), "op"))
        .hasMessageContaining("found 6 (HIP)");
    assertThatThrownBy(() -> CudaDevices.deviceId(null, "op"))
        .hasMessageContaining("found 0 (CPU)");
    assertThat(CudaDevices.isCuda(parse("device_type: 0"))).isFalse();
  }

  @Test
  void negativeDeviceIdIsRefused() throws Exception {
    assertThatThrownBy(() -> CudaDevices.deviceId(parse("device_type: 1 device_id: -1"), "op"))
        .hasMessage("op: device_option.device_id (cuda_gpu_id) must be >= 0, found -1");
  }

  @Test
  void cudaBuildsTheOption() {
    assertThat(CudaDevices.cuda(1).getDeviceType()).isEqualTo(1);
    assertThat(CudaDevices.cuda(1).getDeviceId()).isEqualTo(1);
  }
}

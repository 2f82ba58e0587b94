package dev.cortado.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.RegistrationException;
import dev.cortado.workspace.Workspace;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperatorRegistryTest {
  private static final OperatorSchema WHICH =
      OperatorSchema.builder("Which").numInputs(0).numOutputs(1).doc("names its engine").build();

  private static OperatorFactory named(String label) {
    return ctx -> () -> ctx.output(0).set(label + "/" + ctx.engine());
  }

  private static OperatorProvider provider(OperatorRegistration... regs) {
    return new OperatorProvider() {
      @Override
      public Collection<OperatorRegistration> operators() {
        return List.of(regs);
      }
    };
  }

  private static final OperatorRegistry REGISTRY =
      new OperatorRegistry(
          List.of(
              provider(
                  OperatorRegistration.cpu(WHICH, named("default")),
                  new OperatorRegistration(WHICH, DeviceTypes.CPU, "FAST", named("fast")),
                  new OperatorRegistration(
                      WHICH,
                      DeviceTypes.CPU,
                      "PICKY",
                      ctx -> {
                        throw new UnsupportedOperatorFeatureException("not this def");
                      }),
                  new OperatorRegistration(WHICH, DeviceTypes.CUDA, "CUDNN", named("cudnn"))),
              new TestOperators()));

  private static String run(String def) {
    try (Workspace ws = new Workspace(REGISTRY, Services.none())) {
      ws.runOperatorOnce(Defs.op(def));
      return (String) ws.blob("out").get();
    }
  }

  @Test
  void defaultEngineWhenNoneIsNamed() {
    assertThat(run("type: 'Which' output: 'out'")).isEqualTo("default/");
    assertThat(run("type: 'Which' output: 'out' engine: 'DEFAULT'")).isEqualTo("default/");
  }

  @Test
  void namedEngineIsUsedWhenRegistered() {
    assertThat(run("type: 'Which' output: 'out' engine: 'FAST'")).isEqualTo("fast/FAST");
  }

  @Test
  void unknownEngineFallsBackToTheDefault() {
    assertThat(run("type: 'Which' output: 'out' engine: 'NOPE'")).isEqualTo("default/");
  }

  @Test
  void engineListIsTriedInOrder() {
    assertThat(run("type: 'Which' output: 'out' engine: 'NOPE,FAST'")).isEqualTo("fast/FAST");
    // PICKY refuses this def (UnsupportedOperatorFeature), so FAST is next.
    assertThat(run("type: 'Which' output: 'out' engine: 'PICKY, FAST'")).isEqualTo("fast/FAST");
    assertThat(run("type: 'Which' output: 'out' engine: 'PICKY'")).isEqualTo("default/");
  }

  @Test
  void deviceWithoutADefaultRegistrationIsAnError() {
    assertThatThrownBy(() -> run("type: 'Which' output: 'out' device_option { device_type: 2 }"))
        .isInstanceOf(UnknownOperatorException.class)
        .hasMessageContaining("cannot create operator of type 'Which' on the device 'MKLDNN'")
        .hasMessageContaining("[CPU, CPU engine FAST, CPU engine PICKY, CUDA engine CUDNN]");
    assertThat(run("type: 'Which' output: 'out' engine: 'CUDNN' device_option { device_type: 1 }"))
        .isEqualTo("cudnn/CUDNN");
  }

  @Test
  void cudaPrefersTheCudnnEngineAsCaffe2Does() {
    assertThat(run("type: 'Which' output: 'out' device_option { device_type: 1 }"))
        .isEqualTo("cudnn/CUDNN");
    assertThat(run("type: 'Which' output: 'out' engine: 'NOPE' device_option { device_type: 1 }"))
        .isEqualTo("cudnn/CUDNN");
  }

  @Test
  void unknownTypeNamesTheOperatorAndSuggestsNearNames() {
    try (Workspace ws = new Workspace(REGISTRY, Services.none())) {
      assertThatThrownBy(
              () ->
                  REGISTRY.create(Defs.op("type: 'Whihc' name: 'w1' output: 'o'"), ws, "train", 4))
          .isInstanceOf(UnknownOperatorException.class)
          .hasMessageStartingWith(
              "operator Whihc (index 4, name 'w1') in net 'train': unknown operator type 'Whihc';"
                  + " did you mean [Which]?")
          .hasMessageContaining("dev.cortado.operator.OperatorProvider");
    }
    assertThat(REGISTRY.nearest("addto", 3)).containsExactly("AddTo");
    assertThat(REGISTRY.nearest("Constt", 3)).contains("Const");
    assertThat(REGISTRY.nearest("Zzzzzzzzzz", 3)).isEmpty();
  }

  @Test
  void schemaIsVerifiedAtCreationNamingTheOperator() {
    try (Workspace ws = new Workspace(REGISTRY, Services.none())) {
      assertThatThrownBy(() -> REGISTRY.create(Defs.op("type: 'Which' name: 'w'"), ws, "init", 0))
          .isInstanceOf(SchemaException.class)
          .hasMessageStartingWith(
              "operator Which (index 0, name 'w') in net 'init' did not pass schema checking:"
                  + " expected 1 outputs, found 0");
    }
  }

  @Test
  void missingInputBlobIsAnError() {
    try (Workspace ws = new Workspace(REGISTRY, Services.none())) {
      assertThatThrownBy(
              () -> REGISTRY.create(Defs.op("type: 'AddTo' input: 'nope' output: 'o'"), ws, "n", 1))
          .isInstanceOf(OperatorException.class)
          .hasMessageContaining("input 0 'nope' does not exist in the workspace");
    }
  }

  /** A plugin whose provider forgot to list its operators. */
  static final class EmptyProvider implements OperatorProvider {}

  @Test
  void aProviderThatRegistersNothingIsAStartupErrorNamingIt() {
    assertThatThrownBy(
            () -> new OperatorRegistry(List.of(new TestOperators(), new EmptyProvider())))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining(EmptyProvider.class.getName())
        .hasMessageContaining("registers no operators");
  }

  @Test
  void duplicateRegistrationIsAStartupError() {
    OperatorProvider a = provider(OperatorRegistration.cpu(WHICH, named("a")));
    OperatorProvider b = provider(OperatorRegistration.cpu(WHICH, named("b")));
    assertThatThrownBy(() -> new OperatorRegistry(List.of(a, b)))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("operator Which on device CPU is registered twice");
    OperatorProvider c =
        provider(new OperatorRegistration(WHICH, DeviceTypes.CPU, "X", named("x")));
    OperatorProvider d =
        provider(new OperatorRegistration(WHICH, DeviceTypes.CPU, "X", named("x")));
    assertThatThrownBy(() -> new OperatorRegistry(List.of(c, d)))
        .hasMessageContaining("operator Which_ENGINE_X on device CPU is registered twice");
  }

  @Test
  void differentSchemasForOneTypeAreAStartupError() {
    OperatorSchema other = OperatorSchema.builder("Which").numOutputs(2).build();
    OperatorProvider a = provider(OperatorRegistration.cpu(WHICH, named("a")));
    OperatorProvider b = provider(OperatorRegistration.cuda(other, named("b")));
    assertThatThrownBy(() -> new OperatorRegistry(List.of(a, b)))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("has two different schemas");
  }

  @Test
  void providerFailureIsAStartupErrorNamingIt() {
    OperatorProvider broken =
        new OperatorProvider() {
          @Override
          public Collection<OperatorRegistration> operators() {
            throw new IllegalStateException("kaputt");
          }
        };
    assertThatThrownBy(() -> new OperatorRegistry(List.of(broken)))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("kaputt");
  }

  @Test
  void listingIsSortedAndFilterableByDevice() {
    assertThat(REGISTRY.registrations(DeviceTypes.CUDA))
        .extracting(OperatorRegistration::key)
        .containsExactly("Which_ENGINE_CUDNN");
    assertThat(REGISTRY.types()).contains("AddTo", "Const", "Which");
    assertThat(REGISTRY.schema("Which")).contains(WHICH);
    assertThat(REGISTRY.provider("Which", 0, "FAST")).isPresent();
    assertThat(new OperatorProvider() {}.operators()).isEmpty();
    Operator plain = () -> {};
    assertThat(plain.metrics()).isEmpty();
  }

  @Test
  void editDistance() {
    assertThat(OperatorRegistry.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(OperatorRegistry.editDistance("", "abc")).isEqualTo(3);
  }

  @Test
  void serviceLookupFailsClearlyWithoutARuntime() {
    OperatorProvider needsService =
        provider(
            OperatorRegistration.cpu(
                OperatorSchema.builder("NeedsService").build(),
                ctx -> {
                  ctx.service(StringBuilder.class);
                  return () -> {};
                }));
    OperatorRegistry registry = new OperatorRegistry(List.of(needsService));
    try (Workspace ws = new Workspace(registry, Services.none())) {
      assertThatThrownBy(() -> ws.runOperatorOnce(Defs.op("type: 'NeedsService'")))
          .hasMessageContaining("needs the runtime service java.lang.StringBuilder");
    }
    try (Workspace ws =
        new Workspace(
            registry, Services.of(java.util.Map.of(StringBuilder.class, new StringBuilder())))) {
      ws.runOperatorOnce(Defs.op("type: 'NeedsService'"));
    }
  }
}

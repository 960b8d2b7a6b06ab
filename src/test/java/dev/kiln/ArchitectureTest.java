package dev.kiln;

import ai.onnxruntime.OrtEnvironment;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OnnxEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The house's structure, read from the compiled classes of src/main: the rules DESIGN.md states
 * about packages and dependencies, kept by a test instead of by review.
 */
class ArchitectureTest {

    /** About what a reader can hold in mind at once. */
    static final int MAX_CONSTRUCTOR_DEPENDENCIES = 8;

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("dev.kiln");
    }

    @Test
    void noCycleBetweenPackages() {
        slices().matching("dev.kiln.(*)..").should().beFreeOfCycles().check(main);
    }

    /** Records are values: their components are fields, not collaborators. */
    @Test
    void noClassTakesMoreThanEightConstructorDependencies() {
        ArchRule rule = classes().that().areNotRecords()
                .should(haveAtMostConstructorParameters(MAX_CONSTRUCTOR_DEPENDENCIES));
        rule.check(main);
    }

    @Test
    void onlyTheRuntimeMakesNativeSessions() {
        noClasses().that().resideOutsideOfPackage("dev.kiln.runtime..")
                .should().callMethodWhere(target(name("createSession")).and(target(owner(assignableTo(OrtEnvironment.class)))))
                .because("only the registry opens sessions, through OnnxEngine").check(main);
    }

    @Test
    void onlyTheRegistryOpensAndClosesModels() {
        noClasses().that().resideOutsideOfPackages("dev.kiln.registry..", "dev.kiln.runtime..")
                .should().callMethodWhere(target(name("open")).and(target(owner(assignableTo(OnnxEngine.class)))))
                .orShould().callMethodWhere(target(name("close")).and(target(owner(assignableTo(LoadedModel.class)))))
                .because("ModelRegistry is the one owner of model lifecycle").check(main);
    }

    @Test
    void noPackageBelowTheWebEdgeImportsIt() {
        noClasses().that().resideOutsideOfPackage("dev.kiln.web..")
                .should().dependOnClassesThat().resideInAPackage("dev.kiln.web..")
                .check(main);
    }

    private static ArchCondition<JavaClass> haveAtMostConstructorParameters(int max) {
        return new ArchCondition<>("take at most " + max + " constructor parameters") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                for (JavaConstructor k : c.getConstructors()) {
                    int n = k.getRawParameterTypes().size();
                    if (n > max) {
                        events.add(SimpleConditionEvent.violated(k, k.getFullName() + " takes " + n + " parameters"));
                    }
                }
            }
        };
    }
}

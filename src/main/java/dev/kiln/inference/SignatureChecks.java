package dev.kiln.inference;

import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.InvalidTensorException;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorShapes;
import dev.kiln.runtime.TensorSpec;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The checks every wire form's inputs pass against the model, in the same words whatever the
 * transport: a known input given once, its datatype, its shape within the declaration and the
 * manifest's limits, every input present, and only outputs the model has.
 */
public final class SignatureChecks {

    private SignatureChecks() {
    }

    /** The declaration of a named input, which must not have been given already. */
    public static TensorSpec input(ModelSignature model, String name, Collection<String> earlier) {
        if (name == null) {
            throw KilnError.invalid("an input has no 'name'");
        }
        TensorSpec spec = model.inputs().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                KilnError.invalid("unknown input '" + ClientText.printable(name, 60) + "': the model's inputs are "
                        + model.inputs().stream().map(TensorSpec::name).toList()));
        if (earlier.contains(name)) {
            throw KilnError.invalid("input '" + name + "' is given twice");
        }
        return spec;
    }

    /** The input's datatype, which must be the model's. */
    public static Datatype datatype(TensorSpec spec, String datatype) {
        if (datatype == null || datatype.isEmpty()) {
            throw KilnError.invalid("input '" + spec.name() + "': 'datatype' is missing");
        }
        Datatype type = Datatype.parse(datatype).orElseThrow(() -> new InvalidTensorException("input '" + spec.name()
                + "': unknown datatype '" + ClientText.printable(datatype, 20) + "'"));
        if (!type.name().equals(spec.datatype())) {
            throw new InvalidTensorException("input '" + spec.name() + "': datatype " + datatype + " does not match the model's "
                    + spec.datatype());
        }
        return type;
    }

    /** The input's shape against its declaration and the manifest's input_limits. */
    public static void shape(ModelSignature model, TensorSpec spec, long[] shape) {
        TensorShapes.check(spec.name(), shape, spec.shape(), model.limits().get(spec.name()));
    }

    /** The inputs in the model's order; a missing one is refused. */
    public static List<TensorBuffer> ordered(ModelSignature model, Map<String, TensorBuffer> byName) {
        List<String> missing = model.inputs().stream().map(TensorSpec::name).filter(n -> !byName.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw KilnError.invalid("missing input(s) " + missing);
        }
        return model.inputs().stream().map(s -> byName.get(s.name())).toList();
    }

    /**
     * An output asked for once: each copy asked for again was answered again, so a request could make
     * its answer any size past max-answer-bytes (which weighs each output once) and the heap with it.
     */
    public static <T> T once(T output, java.util.Collection<?> askedBefore) {
        if (askedBefore.contains(output)) {
            throw KilnError.invalid("output '" + output + "' is asked for more than once");
        }
        return output;
    }

    /** An output asked for by name, which the model must have. */
    public static String output(ModelSignature model, String name) {
        if (name == null || model.outputs().stream().noneMatch(s -> s.name().equals(name))) {
            throw KilnError.invalid("unknown output '" + ClientText.printable(String.valueOf(name), 60) + "': the model's outputs are "
                    + model.outputs().stream().map(TensorSpec::name).toList());
        }
        return name;
    }
}

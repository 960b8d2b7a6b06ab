import dev.kiln.runtime.TinyOnnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The tiny models bench/ab/answers.sh adds to each server's repository: one identity per datatype the tests cover, and a few shapes. */
public class WriteModels {
    public static void main(String[] args) throws Exception {
        Map<String, byte[]> models = new TreeMap<>();
        Map<String, Integer> types = Map.of("bool", TinyOnnx.BOOL, "uint8", TinyOnnx.UINT8, "int8", TinyOnnx.INT8,
                "int16", TinyOnnx.INT16, "int32", TinyOnnx.INT32, "int64", TinyOnnx.INT64, "fp16", TinyOnnx.FLOAT16,
                "fp32", TinyOnnx.FLOAT, "fp64", TinyOnnx.DOUBLE, "bytes", TinyOnnx.STRING);
        types.forEach((name, type) -> models.put("ab-" + name, TinyOnnx.identity(type, -1)));
        models.put("ab-fp32-3d", TinyOnnx.identity(TinyOnnx.FLOAT, -1, 3, 2));
        models.put("ab-bytes-2d", TinyOnnx.identity(TinyOnnx.STRING, -1, 2));
        models.put("ab-int8-fixed", TinyOnnx.identity(TinyOnnx.INT8, 2));
        models.put("ab-doubler", TinyOnnx.doubler(-1, 2));
        models.put("ab-constant", TinyOnnx.constant(1.5f, -2f, 0.25f));
        for (String repo : args) {
            for (var m : models.entrySet()) {
                Path dir = Path.of(repo, m.getKey());
                Files.createDirectories(dir);
                Files.write(dir.resolve("model.onnx"), m.getValue());
            }
        }
        System.out.println("wrote " + models.size() + " models into " + String.join(", ", args));
    }
}

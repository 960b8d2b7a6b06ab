package dev.kiln.testing;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Every JAX-RS resource method in Kiln's classes, found by walking the compiled classes. */
public final class ResourceMethods {

    /** One endpoint: its HTTP method, its path template, and the Java method behind it. */
    public record Endpoint(String httpMethod, String path, Method method) {
        public String id() {
            return method.getDeclaringClass().getSimpleName() + "." + method.getName();
        }
    }

    private ResourceMethods() {
    }

    public static List<Endpoint> all() throws IOException, ClassNotFoundException {
        // The main classes' root, not the test classes' (tests run from the project root).
        java.nio.file.Path root = Paths.get("target/classes").toAbsolutePath();
        List<Endpoint> out = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.walk(root.resolve("dev/kiln"))) {
            for (java.nio.file.Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> c = Class.forName(name, false, ResourceMethods.class.getClassLoader());
                Path classPath = c.getAnnotation(Path.class);
                for (Method m : c.getDeclaredMethods()) {
                    String verb = verb(m);
                    if (verb != null && Modifier.isPublic(m.getModifiers())) {
                        Path methodPath = m.getAnnotation(Path.class);
                        out.add(new Endpoint(verb, join(classPath == null ? "" : classPath.value(),
                                methodPath == null ? "" : methodPath.value()), m));
                    }
                }
            }
        }
        out.sort(Comparator.comparing(Endpoint::path).thenComparing(Endpoint::httpMethod));
        return out;
    }

    private static String verb(Method m) {
        for (var a : m.getAnnotations()) {
            HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    private static String join(String a, String b) {
        String s = ("/" + a + "/" + b).replaceAll("/+", "/");
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}

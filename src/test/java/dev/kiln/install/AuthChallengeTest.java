package dev.kiln.install;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** WWW-Authenticate as registries send it: one or more challenges, quoted or bare parameters. */
class AuthChallengeTest {

    @Test
    void aDistributionRegistrysBearerChallenge() {
        List<AuthChallenge> c = AuthChallenge.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"");
        assertEquals(List.of(new AuthChallenge("bearer", Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
                "scope", "repository:library/busybox:pull"))), c);
    }

    @Test
    void severalChallengesBareValuesAndEscapes() {
        List<AuthChallenge> c = AuthChallenge.parse("Basic realm=\"a \\\"b\\\"\", Bearer realm=https://t.example/token , error=invalid_token");
        assertEquals(2, c.size());
        assertEquals("basic", c.get(0).scheme());
        assertEquals("a \"b\"", c.get(0).param("realm"));
        assertEquals("https://t.example/token", c.get(1).param("realm"));
        assertEquals("invalid_token", c.get(1).param("error"));
    }

    @Test
    void nothingUsableIsNoChallenge() {
        assertEquals(List.of(), AuthChallenge.parse(null));
        assertEquals(List.of(), AuthChallenge.parse("realm=x"));
        assertEquals(1, AuthChallenge.parse("Negotiate").size());
        assertEquals(List.of(), AuthChallenge.parse("Bearer " + "x".repeat(9000)));
    }
}

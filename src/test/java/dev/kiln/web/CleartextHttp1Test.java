package dev.kiln.web;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Java's HttpClient with its defaults asks a plain-HTTP connection to upgrade to HTTP/2 (h2c); Kiln
 * answers in HTTP/1.1 instead, because concurrent first requests through that upgrade failed with
 * protocol errors or never returned (23 and 2 of 4,800).
 */
@QuarkusTest
class CleartextHttp1Test {

    @Test
    void aDefaultJavaClientIsAnsweredInHttp11() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        assertEquals(HttpClient.Version.HTTP_2, client.version(), "the client asks for an upgrade");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v2/health/live"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, r.version(), "the upgrade to h2c is declined");
    }
}

package dev.kiln.catalog;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** version_policy as model.yaml writes it, with Triton's meaning, and what it refuses (with the reason, not a parser's words). */
class VersionPolicyTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static VersionPolicy read(String json) throws Exception {
        return VersionPolicy.of(JSON.readTree(json));
    }

    @Test
    void theThreeFormsSelectTritonsWay() throws Exception {
        List<Integer> onDisk = List.of(3, 1, 2, 7);
        assertEquals(List.of(1, 2, 3, 7), read("\"all\"").select(onDisk));
        assertEquals(List.of(3, 7), read("{\"latest\": 2}").select(onDisk));
        assertEquals(List.of(1, 2, 3, 7), read("{\"latest\": 9}").select(onDisk));
        assertEquals(List.of(1, 7), read("{\"specific\": [7, 1, 5]}").select(onDisk));
        assertEquals("latest: 2", read("{\"latest\": 2}").text());
        assertNull(read("{\"specific\": [1]}").problem());
    }

    @Test
    void whatIsNotAPolicySaysWhy() throws Exception {
        assertTrue(read("{\"latest\": 0}").problem().contains("latest must be a whole number from 1 to 1000"));
        assertTrue(read("{\"latest\": 2.5}").problem().contains("latest"));
        assertTrue(read("{\"specific\": []}").problem().contains("specific must list 1 to 64 versions"));
        assertTrue(read("{\"specific\": [0]}").problem().contains("'0'"));
        assertTrue(read("\"newest\"").problem().contains("'newest' is not a policy"));
        assertTrue(read("{\"latest\": 1, \"all\": true}").problem().contains("must be all"));
    }

    @Test
    void itIsWrittenBackAsRead() throws Exception {
        for (String written : List.of("\"all\"", "{\"latest\":2}", "{\"specific\":[1,3]}")) {
            assertEquals(written, JSON.writeValueAsString(read(written)));
        }
    }
}

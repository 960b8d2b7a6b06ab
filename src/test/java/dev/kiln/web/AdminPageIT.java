package dev.kiln.web;

import dev.kiln.ocr.OcrScore;
import dev.kiln.ocr.OcrTestImages;
import dev.kiln.testing.PackagedKiln;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page in a real headless Chromium (Debian's chromium and chromium-driver) against the
 * packaged jar with an admin token: the table, warm-up, unload and load, an install with its
 * progress, the 401 message of an action without the token, an image read in the "Try it" panel with
 * its boxes drawn, and no console errors.
 */
class AdminPageIT {

    static final String TOKEN = "page-token";
    static final List<String> DEMO = List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q", "ppocr-cls", "ppocr-v4-det", "ppocr-v4-rec");

    static PackagedKiln kiln;
    static Path repo;
    static WebDriver browser;
    static WebDriverWait wait;

    @BeforeAll
    static void start() throws Exception {
        repo = PackagedKiln.copyOfDemoRepository("admin-page");
        twoVersions(repo);
        kiln = PackagedKiln.start(repo, Map.of("ai.models.admin-token", TOKEN,
                "ai.models.install.file-roots", Path.of("target/model-jars").toAbsolutePath().toString()), List.of());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(executable("chromium", "/usr/bin/chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(executable("chromedriver", "/usr/bin/chromedriver"))).build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 800));
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
    }

    /** The int8 MiniLM as version 1 and the fp32 one as version 2 of one model, 90/10 between them. */
    static void twoVersions(Path repo) throws Exception {
        Path dir = repo.resolve("minilm-v");
        Files.createDirectories(dir.resolve("1"));
        Files.createDirectories(dir.resolve("2"));
        Files.copy(repo.resolve("all-minilm-l6-v2-q/model.onnx"), dir.resolve("1/model.onnx"));
        Files.copy(repo.resolve("all-minilm-l6-v2/model.onnx"), dir.resolve("2/model.onnx"));
        Files.writeString(dir.resolve("model.yaml"), "name: minilm-v\ncategory: text\nlazy_load: true\nrouting:\n"
                + "  aliases: {stable: 1, canary: 2}\n  weights: {stable: 90, canary: 10}\n");
    }

    static String executable(String name, String fallback) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return fallback;
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (kiln != null) {
            kiln.close();
        }
        PackagedKiln.deleteTree(repo);
    }

    static WebElement row(String model) {
        return browser.findElement(By.cssSelector("#models tbody tr[data-model='" + model + "']"));
    }

    /** The table is drawn again every 5 s, so an element found a moment ago may be gone: look again. */
    static <T> T fresh(java.util.function.Supplier<T> read) {
        for (int i = 0; ; i++) {
            try {
                return read.get();
            } catch (StaleElementReferenceException e) {
                if (i == 10) {
                    throw e;
                }
            }
        }
    }

    static String stateOf(String model) {
        return fresh(() -> row(model).findElement(By.cssSelector("td.state")).getText());
    }

    static void click(String model, String action) {
        fresh(() -> {
            row(model).findElement(By.cssSelector("button[data-act='" + action + "']")).click();
            return null;
        });
    }

    static List<LogEntry> consoleErrors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
    }

    @Test
    void anOperatorSeesAndActs() throws Exception {
        browser.get("http://127.0.0.1:" + kiln.port + "/");
        wait.until(d -> d.findElements(By.cssSelector("#models tbody tr")).size() >= DEMO.size());
        for (String m : DEMO) {
            assertTrue(stateOf(m).startsWith("READY") || stateOf(m).startsWith("AVAILABLE"), m + ": " + stateOf(m));
        }
        assertEquals("READY", stateOf("ppocr-cls").lines().findFirst().orElse(""));
        wait.until(d -> !d.findElements(By.cssSelector("#models tbody tr[data-model='ppocr']")).isEmpty());
        assertTrue(stateOf("ppocr").startsWith("READY") || stateOf("ppocr").startsWith("AVAILABLE"), "the pipeline's row: " + stateOf("ppocr"));
        assertTrue(browser.findElement(By.id("loaded-total")).getText().matches("\\d+ / 7"),
                "five models, the ppocr pipeline and a model of two versions");
        List<String> versions = fresh(() -> row("minilm-v").findElements(By.cssSelector("ul.versions li")).stream()
                .map(WebElement::getText).toList());
        assertEquals(2, versions.size(), "one row, its versions inside: " + versions);
        assertTrue(versions.get(0).startsWith("v1 ") && versions.get(0).contains("(stable)") && versions.get(0).contains("90%"), versions.toString());
        assertTrue(versions.get(1).startsWith("v2 ") && versions.get(1).contains("(canary)") && versions.get(1).contains("10%"), versions.toString());
        List<LogEntry> onLoad = consoleErrors();
        assertTrue(onLoad.isEmpty(), "no console errors on load: " + onLoad);

        // An action without the token: the page asks once; cancelled, the server's 401 is explained.
        click("ppocr-cls", "unload");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token-dialog")));
        browser.findElement(By.cssSelector("#token-dialog button[value='cancel']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "401"));
        assertTrue(browser.findElement(By.id("message")).getText().contains("Admin token"), "says what to do");
        assertEquals("READY", stateOf("ppocr-cls").lines().findFirst().orElse(""), "nothing changed");
        List<LogEntry> refused = consoleErrors();
        assertTrue(refused.stream().allMatch(e -> e.getMessage().contains("401")), "only the refused request: " + refused);

        // The token, once, for this tab.
        browser.findElement(By.id("token-button")).click();
        browser.findElement(By.id("token-input")).sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("token-state"), "token set"));

        browser.findElement(By.id("warmup")).click();
        wait.until(d -> {
            String t = d.findElement(By.id("warmup-result")).getText();
            return !t.isEmpty() && !t.contains("warming up");
        });
        assertTrue(browser.findElement(By.id("warmup-result")).getText().toLowerCase().contains("warm"),
                browser.findElement(By.id("warmup-result")).getText());

        readsAnImage();

        click("ppocr-cls", "unload");
        wait.until(d -> stateOf("ppocr-cls").startsWith("AVAILABLE"));
        click("ppocr-cls", "load");
        wait.until(d -> stateOf("ppocr-cls").startsWith("READY"));

        browser.findElement(By.id("install-name")).sendKeys("cls-copy");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("install-category"))).selectByVisibleText("image");
        browser.findElement(By.id("install-url")).sendKeys("file://" + Path.of("target/model-jars/rapidocr/models/ch_ppocr_mobile_v2.0_cls_infer.onnx")
                .toAbsolutePath());
        browser.findElement(By.id("install")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("install-progress")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("install-status"), "done"));
        assertEquals("100", browser.findElement(By.id("install-progress")).getAttribute("value"));
        wait.until(d -> !d.findElements(By.cssSelector("#models tbody tr[data-model='cls-copy']")).isEmpty()
                && stateOf("cls-copy").startsWith("READY"));

        List<LogEntry> afterActions = consoleErrors();
        assertTrue(afterActions.isEmpty(), "no console errors: " + afterActions);
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target/admin-page.png"), StandardCopyOption.REPLACE_EXISTING);

        // A narrow (phone) width still shows the table's main columns.
        browser.manage().window().setSize(new Dimension(390, 844));
        assertTrue(fresh(() -> row("ppocr-cls").findElement(By.cssSelector("td.state")).isDisplayed()));
        assertTrue(kiln.get("/admin").body().contains("id=\"models\""), "/admin serves the same page");
        assertEquals(200, kiln.get("/q/swagger-ui/").statusCode(), "Swagger UI in production");
    }

    /** "Try it": a generated image uploaded, read by ppocr through /v1/ocr, its lines listed and their boxes drawn. */
    private static void readsAnImage() throws Exception {
        OcrTestImages.TestImage image = OcrTestImages.render("try-it", "png", 520, 5, List.of(
                new OcrTestImages.LineSpec("Kiln reads images too", "DejaVu Sans", 30, false),
                new OcrTestImages.LineSpec("Invoice 7781: 45.80 EUR", "DejaVu Serif", 28, true)));
        Path file = Path.of("target/admin-page-try-it.png").toAbsolutePath();
        Files.write(file, image.bytes());
        browser.findElement(By.id("ocr-file")).sendKeys(file.toString());
        browser.findElement(By.id("ocr-run")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("ocr-status"), "read by ppocr"));
        List<String> read = browser.findElements(By.cssSelector("#ocr-lines li")).stream()
                .map(li -> OcrScore.normalise(li.getAttribute("data-text"))).toList();
        assertEquals(image.lines().stream().map(l -> OcrScore.normalise(l.text())).toList(), read);
        WebElement canvas = browser.findElement(By.id("ocr-canvas"));
        assertTrue(canvas.isDisplayed());
        assertEquals("2", canvas.getAttribute("data-boxes"), "a box drawn for each line");
        Object stroked = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "const c = document.getElementById('ocr-canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + " let n = 0; for (let i = 0; i < d.length; i += 4) { if (d[i] > 150 && d[i + 1] < 110 && d[i + 2] < 80) n++; } return n;");
        assertTrue(((Number) stroked).longValue() > 200, "the boxes are drawn in the accent colour over the image: " + stroked + " pixels");
    }
}

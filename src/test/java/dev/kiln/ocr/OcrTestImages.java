package dev.kiln.ocr;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.font.TextLayout;
import java.awt.geom.AffineTransform;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test images with known text, drawn with Java2D (nothing is fetched): English sentences, digits,
 * prices, Chinese mixed with English, 16 to 64 pixel text in four fonts, light tinted backgrounds
 * with a gradient and pixel noise, some lines upside down. Deterministic for a seed (on one JDK and
 * font install). Chinese needs a CJK font ({@value #CJK}: Debian's fonts-wqy-zenhei).
 */
public final class OcrTestImages {

    static final String CJK = "WenQuanYi Zen Hei";
    static final String[] LATIN_FONTS = {"DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", CJK};

    /** A line to draw. */
    public record LineSpec(String text, String font, int size, boolean upsideDown) {
    }

    /** A line drawn: its text and tight box (corners clockwise from the top left). */
    public record TruthLine(String text, float[] box, boolean upsideDown) {
    }

    /** An image and the lines on it; {@code format} png or jpeg. */
    public record TestImage(String name, String format, byte[] bytes, List<TruthLine> lines) {
    }

    /** What truth.json holds for each image. */
    public record Truth(String file, List<TruthLine> lines) {
    }

    private static final String[] WORDS = ("time people year way day thing man world life hand part child eye woman place work "
            + "week case point number group problem fact market report order price river garden window letter station "
            + "morning evening summer winter paper music table kitchen office doctor teacher engine bridge harbor "
            + "quickly slowly always never often green yellow silver quiet bright simple heavy open early late "
            + "builds keeps reads finds moves opens carries brings writes holds").split(" ");
    private static final String[] MIXED = {"欢迎光临 Welcome to our store", "价格 Price: 128.50元", "订单号 Order No. 20240315",
            "总计 Total ¥356.00", "日期 Date 2024-03-15", "电话 Tel 021-6688-9900", "数量 Qty 12 单价 9.90",
            "地址 上海市浦东新区 100号", "会员卡号 Member 8812 3345", "谢谢惠顾 Thank you", "营业时间 Open 9:00-21:00",
            "发票 Invoice A-2931"};
    private static final String[] ITEMS = {"Coffee", "Green tea", "Bagel", "Orange juice", "Sandwich", "Muffin", "Water",
            "Salad", "Soup of the day", "Croissant"};

    private OcrTestImages() {
    }

    /** The benchmark's set: {@code count} images of 3 to 7 lines, every third with one line upside down. */
    public static List<TestImage> benchSet(int count) {
        List<TestImage> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Random r = new Random(1000 + i);
            int width = 640 + 32 * r.nextInt(11);
            int lines = 3 + r.nextInt(5);
            int upsideDown = i % 3 == 2 ? r.nextInt(lines) : -1;
            int mixed = i % 4 == 1 ? r.nextInt(lines) : -1;
            List<LineSpec> specs = new ArrayList<>();
            for (int k = 0; k < lines; k++) {
                int size = 16 + r.nextInt(49);
                String font = LATIN_FONTS[r.nextInt(LATIN_FONTS.length)];
                String text;
                if (k == mixed) {
                    font = CJK;
                    text = MIXED[r.nextInt(MIXED.length)];
                } else {
                    text = switch (r.nextInt(4)) {
                        case 0 -> price(r);
                        case 1 -> digits(r);
                        default -> sentence(r);
                    };
                }
                specs.add(new LineSpec(fit(text, font, size, width - 80), font, size, k == upsideDown));
            }
            out.add(render(String.format("ocr-%02d", i), i % 5 == 4 ? "jpeg" : "png", width, 1000 + i, specs));
        }
        return out;
    }

    /** Draws the lines top to bottom on a light, slightly noisy background. */
    public static TestImage render(String name, String format, int width, long seed, List<LineSpec> specs) {
        Random r = new Random(seed);
        FontRenderContext frc = new FontRenderContext(null, true, true);
        List<TextLayout> layouts = new ArrayList<>();
        int height = 40;
        for (LineSpec s : specs) {
            TextLayout layout = new TextLayout(s.text(), font(s), frc);
            layouts.add(layout);
            height += (int) Math.ceil((layout.getAscent() + layout.getDescent()) * (1.4 + 0.4 * r.nextDouble()));
        }
        height += 40;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        background(image, r);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        List<TruthLine> truth = new ArrayList<>();
        double y = 40;
        for (int i = 0; i < specs.size(); i++) {
            LineSpec s = specs.get(i);
            TextLayout layout = layouts.get(i);
            double lineHeight = layout.getAscent() + layout.getDescent();
            float x = 30 + r.nextInt(30);
            float baseline = (float) (y + layout.getAscent());
            Rectangle2D b = layout.getBounds();
            double x0 = x + b.getX();
            double y0 = baseline + b.getY();
            AffineTransform saved = g.getTransform();
            if (s.upsideDown()) {
                g.rotate(Math.PI, x0 + b.getWidth() / 2, y0 + b.getHeight() / 2);
            }
            int ink = r.nextInt(70);
            g.setColor(new Color(ink, ink + r.nextInt(20), ink + r.nextInt(30)));
            layout.draw(g, x, baseline);
            g.setTransform(saved);
            float[] box = {(float) x0, (float) y0, (float) (x0 + b.getWidth()), (float) y0, (float) (x0 + b.getWidth()),
                    (float) (y0 + b.getHeight()), (float) x0, (float) (y0 + b.getHeight())};
            truth.add(new TruthLine(s.text(), box, s.upsideDown()));
            y += lineHeight * (1.4 + 0.4 * r.nextDouble());
        }
        g.dispose();
        noise(image, r);
        return new TestImage(name, format, encode(image, format), truth);
    }

    /** Writes each image and truth.json (file name and lines of each) into {@code dir}. */
    public static void writeTo(Path dir, List<TestImage> images) throws IOException {
        Files.createDirectories(dir);
        List<Truth> truth = new ArrayList<>();
        for (TestImage t : images) {
            String file = t.name() + (t.format().equals("png") ? ".png" : ".jpg");
            Files.write(dir.resolve(file), t.bytes());
            truth.add(new Truth(file, t.lines()));
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("truth.json").toFile(), truth);
    }

    static Font font(LineSpec s) {
        Font f = new Font(s.font(), Font.PLAIN, s.size());
        if (!f.getFamily().equals(s.font())) {
            throw new IllegalStateException("font " + s.font() + " is not installed (got " + f.getFamily() + ")");
        }
        int missing = f.canDisplayUpTo(s.text());
        if (missing >= 0) {
            throw new IllegalStateException(s.font() + " cannot draw '" + s.text().charAt(missing) + "' of " + s.text());
        }
        return f;
    }

    private static String sentence(Random r) {
        StringBuilder s = new StringBuilder();
        int words = 3 + r.nextInt(6);
        for (int i = 0; i < words; i++) {
            String w = WORDS[r.nextInt(WORDS.length)];
            s.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : " " + w);
        }
        return s.append(r.nextBoolean() ? "." : "").toString();
    }

    private static String digits(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> String.format("Invoice %05d-%04d", r.nextInt(100000), r.nextInt(10000));
            case 1 -> String.format("Tel +1 %03d %03d %04d", 200 + r.nextInt(800), r.nextInt(1000), r.nextInt(10000));
            case 2 -> String.format("%04d-%02d-%02d %02d:%02d", 2000 + r.nextInt(30), 1 + r.nextInt(12), 1 + r.nextInt(28),
                    r.nextInt(24), r.nextInt(60));
            default -> String.format("Account %04d %04d %04d", r.nextInt(10000), r.nextInt(10000), r.nextInt(10000));
        };
    }

    private static String price(Random r) {
        String amount = String.format("%d.%02d", r.nextInt(300), r.nextInt(100));
        return switch (r.nextInt(3)) {
            case 0 -> ITEMS[r.nextInt(ITEMS.length)] + " $" + amount;
            case 1 -> "Total: " + amount + " USD";
            default -> "Tax (" + (5 + r.nextInt(15)) + "%) " + amount;
        };
    }

    /** Shortens a sentence word by word (or shrinks the text) until it fits the width. */
    private static String fit(String text, String font, int size, int width) {
        FontRenderContext frc = new FontRenderContext(null, true, true);
        String t = text;
        while (new TextLayout(t, new Font(font, Font.PLAIN, size), frc).getAdvance() > width && t.lastIndexOf(' ') > 0) {
            t = t.substring(0, t.lastIndexOf(' '));
        }
        return t;
    }

    private static void background(BufferedImage image, Random r) {
        int[] px = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        int base = 225 + r.nextInt(25);
        int tintR = r.nextInt(10), tintG = r.nextInt(10), tintB = r.nextInt(10);
        int w = image.getWidth();
        int h = image.getHeight();
        for (int y = 0; y < h; y++) {
            int v = base - (int) (12.0 * y / h);
            int rgb = (clamp(v + tintR) << 16) | (clamp(v - tintG) << 8) | clamp(v - tintB);
            for (int x = 0; x < w; x++) {
                px[y * w + x] = rgb;
            }
        }
    }

    private static void noise(BufferedImage image, Random r) {
        int[] px = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            int n = (int) Math.round(r.nextGaussian() * 4);
            int p = px[i];
            px[i] = (clamp(((p >> 16) & 0xff) + n) << 16) | (clamp(((p >> 8) & 0xff) + n) << 8) | clamp((p & 0xff) + n);
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (format.equals("jpeg")) {
                ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
                ImageWriteParam p = writer.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0.9f);
                try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                    writer.setOutput(ios);
                    writer.write(null, new IIOImage(image, null, null), p);
                } finally {
                    writer.dispose();
                }
            } else {
                ImageIO.write(image, format, out);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

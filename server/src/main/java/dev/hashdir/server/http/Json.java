package dev.hashdir.server.http;

import java.util.Map;

/** Just enough JSON writing for the control plane: flat objects of strings and numbers. */
final class Json {

    private Json() {
    }

    static String object(Map<String, ?> fields) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            string(b, e.getKey()).append(": ");
            Object v = e.getValue();
            if (v == null) {
                b.append("null");
            } else if (v instanceof Double d) {
                b.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
            } else if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else {
                string(b, v.toString());
            }
        }
        return b.append("}").toString();
    }

    private static StringBuilder string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}

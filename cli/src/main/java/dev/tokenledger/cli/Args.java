package dev.tokenledger.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line after the subcommand words: {@code --name value} options, {@code --flag} switches
 * and positional words. Each subcommand declares which options take a value and which are flags, so
 * an unknown or misspelt option is an error instead of being silently ignored.
 */
final class Args {

  private final Map<String, String> values = new LinkedHashMap<>();
  private final List<String> positional = new ArrayList<>();

  private Args() {}

  static Args parse(List<String> words, Set<String> valued, Set<String> flags) throws CliException {
    Args a = new Args();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.startsWith("--") && w.length() > 2) {
        String name = w;
        String inline = null;
        int eq = w.indexOf('=');
        if (eq > 0) {
          name = w.substring(0, eq);
          inline = w.substring(eq + 1);
        }
        if (valued.contains(name)) {
          String v = inline;
          if (v == null) {
            if (i + 1 >= words.size()) {
              throw CliException.usage(name + " needs a value");
            }
            v = words.get(++i);
          }
          if (a.values.containsKey(name)) {
            throw CliException.usage(name + " is given twice");
          }
          a.values.put(name, v);
        } else if (flags.contains(name)) {
          if (inline != null) {
            throw CliException.usage(name + " takes no value");
          }
          a.values.put(name, "");
        } else {
          throw CliException.usage("unknown option " + name);
        }
      } else {
        a.positional.add(w);
      }
    }
    return a;
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String get(String name) {
    return values.get(name);
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** A whole number option within [min, max]. */
  int intOption(String name, int fallback, int min, int max) throws CliException {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n < min || n > max) {
        throw CliException.usage(name + " must be between " + min + " and " + max + ", not " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw CliException.usage(name + " wants a whole number, not '" + v + "'");
    }
  }

  List<String> positional() {
    return positional;
  }
}

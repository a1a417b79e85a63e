using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeLstm.Simd;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// perf/baseline.json: each case's fraction of the in-run FMA peak (percent), one set per kind of machine, because an
/// AVX2 machine and an AVX-512 machine reach different fractions with different kernels (the key names the
/// architecture and the vector width this build uses there, e.g. "X64 512-bit").
/// </summary>
internal static class Baseline
{
    public static string MachineKey => $"{RuntimeInformation.ProcessArchitecture} {(int)SimdSupport.Widest}-bit";

    public static Dictionary<string, double> Load(string path)
    {
        var all = ReadAll(path);
        return all.TryGetValue(MachineKey, out var mine) ? mine : [];
    }

    public static void Save(string path, Dictionary<string, double> figures)
    {
        var all = ReadAll(path);
        all[MachineKey] = figures;
        var sorted = new SortedDictionary<string, Dictionary<string, double>>(all, StringComparer.Ordinal);
        // Relaxed escaping: the case names hold '>' ("64x1024->256"), which the default encoder writes as \u003E.
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(path, JsonSerializer.Serialize(sorted, options) + "\n");
    }

    private static Dictionary<string, Dictionary<string, double>> ReadAll(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, double>>>(File.ReadAllText(path)) ?? []
            : [];
}

using System.Buffers.Binary;
using System.Text;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.IO;

/// <summary>Headers that are valid JSON to a lenient reader but not to this one: bad text, repeated keys, odd numbers.</summary>
public class HostileHeaderTests
{
    private static readonly LstmConfig Small = new(5, 6, 2, 4, 7);

    private static byte[] ValidFile() => ModelFile.ToBytes(LstmModel.Create(Small, 3));

    /// <summary>The valid file with its header text replaced by <paramref name="edit"/> of it (same data).</summary>
    private static byte[] EditHeaderText(byte[] file, Func<string, string> edit)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)length);
        return SafeTensorsBytes.Join(edit(header), file[(8 + (int)length)..]);
    }

    /// <summary>The valid file with <paramref name="from"/> (first occurrence, as bytes) replaced by raw bytes.</summary>
    private static byte[] ReplaceBytes(byte[] file, string from, byte[] to)
    {
        byte[] needle = Encoding.UTF8.GetBytes(from);
        int at = file.AsSpan().IndexOf(needle);
        Assert.True(at > 0, from);
        byte[] result = [.. file[..at], .. to, .. file[(at + needle.Length)..]];
        BinaryPrimitives.WriteInt64LittleEndian(result, BinaryPrimitives.ReadInt64LittleEndian(file) + to.Length - needle.Length);
        return result;
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> BadText => new()
    {
        { "invalid UTF-8 in a tensor key", f => ReplaceBytes(f, "\"fc.bias\"", [(byte)'"', 0xC3, 0x28, (byte)'"']), "bad: header: expected UTF-8 text, found an invalid byte sequence at byte " },
        { "invalid UTF-8 in a metadata value", f => ReplaceBytes(f, "\"edgelstm\"", [(byte)'"', 0xFF, 0xFE, (byte)'"']), "bad: header: expected UTF-8 text, found an invalid byte sequence at byte " },
        { "an overlong encoding", f => ReplaceBytes(f, "\"kind\"", [(byte)'"', 0xC0, 0xAF, (byte)'"']), "bad: header: expected UTF-8 text" },
        { "a lone surrogate escape in a tensor key", f => EditHeaderText(f, h => h.Replace("\"fc.bias\"", "\"fc.bias\\ud800\"", StringComparison.Ordinal)), "bad: header key: expected valid Unicode text, found an escape that is not" },
        { "a lone surrogate escape in a metadata key", f => EditHeaderText(f, h => h.Replace("\"kind\"", "\"\\udc00kind\"", StringComparison.Ordinal)), "bad: __metadata__ key: expected valid Unicode text" },
        { "a lone surrogate escape in a metadata value", f => EditHeaderText(f, h => h.Replace("\"edgelstm\"", "\"\\ud800\"", StringComparison.Ordinal)), "bad: __metadata__.format: expected valid Unicode text" },
        { "a lone surrogate escape in a dtype", f => EditHeaderText(f, h => h.Replace("\"F32\"", "\"\\ud800\"", StringComparison.Ordinal)), "bad: tensor lstm.weight_ih_l0: dtype: expected valid Unicode text" },
        { "a duplicate metadata key", f => EditHeaderText(f, h => h.Replace("\"kind\":\"model\"", "\"kind\":\"model\",\"kind\":\"checkpoint\"", StringComparison.Ordinal)), "bad: __metadata__.kind: expected each key once, found it twice" },
        { "a duplicate dtype in a tensor entry", f => EditHeaderText(f, h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":\"F16\",\"dtype\":\"F32\"", StringComparison.Ordinal)), "bad: tensor lstm.weight_ih_l0: dtype: expected each key once, found it twice" },
        { "a duplicate shape in a tensor entry", f => EditHeaderText(f, h => h.Replace("\"shape\":[24,5]", "\"shape\":[1],\"shape\":[24,5]", StringComparison.Ordinal)), "bad: tensor lstm.weight_ih_l0: shape: expected each key once, found it twice" },
        { "a line break escaped in a key", f => EditHeaderText(f, h => h.Replace("\"kind\":\"model\"", "\"kind\":\"model\",\"a\\nFAKE: ok\":\"x\",\"a\\nFAKE: ok\":\"y\"", StringComparison.Ordinal)), "bad: __metadata__.a\\u000aFAKE: ok: expected each key once, found it twice" },
        { "format_version with a sign", f => Version(f, "+1"), "bad: __metadata__.format_version: expected a whole number from 1 to 2147483647 in plain decimal (no sign, no leading zero, nothing after it), found \"+1\"" },
        { "format_version with a leading zero", f => Version(f, "01"), "bad: __metadata__.format_version: expected a whole number from 1 to 2147483647 in plain decimal (no sign, no leading zero, nothing after it), found \"01\"" },
        { "format_version with a NUL after it", f => Version(f, "1\0"), "bad: __metadata__.format_version: expected a whole number from 1 to 2147483647 in plain decimal (no sign, no leading zero, nothing after it), found \"1\\u0000\"" },
        { "format_version with a space", f => Version(f, " 1"), "bad: __metadata__.format_version: expected a whole number" },
        { "hidden_size with a leading zero", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"]!["hidden_size"] = "06"), "bad: __metadata__.hidden_size: expected a whole number from 1 to 2147483647 in plain decimal" },
    };

    private static byte[] Version(byte[] file, string value) => SafeTensorsBytes.EditHeader(file, h => h["__metadata__"]!["format_version"] = value);

    [Theory]
    [MemberData(nameof(BadText))]
    public void Bad_text_repeated_keys_and_odd_numbers_are_the_loaders_own_error(string what, Func<byte[], byte[]> corrupt, string message)
    {
        byte[] bad = corrupt(ValidFile());
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad, "bad"));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{what}: {e.Message}");
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_canonical_version_and_escapes_of_valid_text_are_accepted()
    {
        Assert.Equal(Small, ModelFile.Load(Version(ValidFile(), "1")).Model.Config);

        // A surrogate pair spelled as escapes is valid Unicode, and a key of the metadata may use it.
        byte[] pair = EditHeaderText(ValidFile(), h => h.Replace("\"kind\":\"model\"", "\"kind\":\"model\",\"note\":\"\\ud83d\\ude00\"", StringComparison.Ordinal));
        Assert.Equal("\U0001F600", ModelFile.Load(pair).Metadata["note"]);
    }

    [Fact]
    public void A_checkpoint_with_a_duplicate_key_in_its_metadata_is_refused()
    {
        var model = LstmModel.Create(Small, 5);
        byte[] checkpoint = CheckpointFile.ToBytes(new EdgeLstm.Training.TrainingCheckpoint
        {
            Model = model,
            FirstMoment = new float[model.Parameters.Length],
            SecondMoment = new float[model.Parameters.Length],
            AdamStep = 3,
            Settings = new EdgeLstm.Training.RecipeSettings { Model = Small, Iterations = 10, BatchSize = 4 },
            Cursor = new EdgeLstm.Training.TrainingCursor(3, 0, 12, [1, 2, 3, 4]),
            DropoutState = [5, 6, 7, 8],
            TrainingExamples = 40,
        });
        Assert.Equal(3, CheckpointFile.Load(checkpoint).AdamStep);
        byte[] twice = EditHeaderText(checkpoint, h => h.Replace("\"adam.step\":\"3\"", "\"adam.step\":\"3\",\"adam.step\":\"9223372036854775807\"", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(twice, "bad"));
        Assert.Equal("bad: __metadata__.adam.step: expected each key once, found it twice", e.Message);
    }
}

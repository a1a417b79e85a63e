using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// <see cref="CsvSequenceReader"/> (long format: one row per time step) with columns by name and by index, classes and
/// regression, each missing-value policy, from bytes and from a file.
/// </summary>
internal sealed class SequenceCsvTarget : FuzzTarget
{
    private readonly CsvSequenceOptions _options;
    private readonly string _name;

    /// <param name="byName">Columns by name with class names and forward fill; otherwise by index with class numbers and drop.</param>
    public SequenceCsvTarget(bool byName)
    {
        _options = byName
            ? new() { Id = ColumnRef.ByName("id"), Time = ColumnRef.ByName("t"), Targets = [ColumnRef.ByName("label")], Missing = MissingValuePolicy.ForwardFill }
            : new() { Time = ColumnRef.ByIndex(1), Targets = [ColumnRef.ByIndex(4)], Task = SequenceTask.Classify, Missing = MissingValuePolicy.Drop };
        _name = byName ? "long-format CSV (columns by name)" : "long-format CSV (columns by index)";
        Seeds = [Encoding.UTF8.GetBytes(Build(6, named: byName)), Encoding.UTF8.GetBytes(Build(2, named: byName))];
    }

    public override string Name => _name;

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; }

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured => TextInsertions.Groups;

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
            CsvSequenceReader.Read(path, _options);
        }
        else
        {
            CsvSequenceReader.Read(input, "fuzz.csv", _options);
        }
    }

    private static string Build(int sequences, bool named)
    {
        var csv = new StringBuilder("id,t,a,b,label\n");
        for (int s = 0; s < sequences; s++)
        {
            for (int t = 0; t < 3 + s; t++)
            {
                string label = named ? (s % 2 == 0 ? "up" : "\"do,wn\"") : (t % 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
                csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"s{s},{t},{s}.5,{t}e-1,{label}\r\n");
            }
        }

        return csv.ToString();
    }
}

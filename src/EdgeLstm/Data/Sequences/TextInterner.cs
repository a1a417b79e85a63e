namespace EdgeLstm.Data.Sequences;

/// <summary>Numbers distinct strings in order of first appearance, looking them up by span so a repeat allocates nothing.</summary>
internal sealed class TextInterner
{
    private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _texts = [];

    public TextInterner() => _lookup = _ordinals.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>A generous estimate of the memory the strings and their table take (for the memory bound).</summary>
    public long ApproximateBytes { get; private set; }

    /// <summary>The distinct strings, by ordinal.</summary>
    public IReadOnlyList<string> Texts => _texts;

    /// <summary>The ordinal of <paramref name="text"/>, adding it when new.</summary>
    public int Intern(ReadOnlySpan<char> text)
    {
        if (_lookup.TryGetValue(text, out int ordinal))
        {
            return ordinal;
        }

        string added = text.ToString();
        ApproximateBytes += 64 + (2L * added.Length);
        ordinal = _texts.Count;
        _ordinals.Add(added, ordinal);
        _texts.Add(added);
        return ordinal;
    }
}

namespace EdgeLstm.Data.Sequences;

/// <summary>Whether targets are classes or numbers.</summary>
public enum SequenceTask
{
    /// <summary>
    /// From the data: any target that is not a number makes classes; any number with a fraction makes regression; whole
    /// numbers only leave it open, which is an error asking for <see cref="Classify"/> or <see cref="Regress"/>.
    /// </summary>
    Auto = 0,

    /// <summary>Classes: names, or whole numbers 0 to <see cref="CsvSequenceReader.MaxNumberedClass"/> used as the class index.</summary>
    Classify = 1,

    /// <summary>Numbers (regression).</summary>
    Regress = 2,
}

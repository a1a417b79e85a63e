namespace EdgeLstm.Data.Sequences;

/// <summary>What a sequence data set asks the network to produce.</summary>
public enum SequenceTargetKind
{
    /// <summary>No targets (data to predict on).</summary>
    None = 0,

    /// <summary>One class index per sequence.</summary>
    SequenceClass = 1,

    /// <summary>One class index per time step.</summary>
    StepClass = 2,

    /// <summary><c>TargetWidth</c> numbers per sequence (regression, or a forecast of the next values).</summary>
    SequenceValues = 3,

    /// <summary><c>TargetWidth</c> numbers per time step.</summary>
    StepValues = 4,
}

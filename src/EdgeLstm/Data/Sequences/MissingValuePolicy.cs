namespace EdgeLstm.Data.Sequences;

/// <summary>What an empty field in a feature or target column means.</summary>
public enum MissingValuePolicy
{
    /// <summary>A data error naming the file, line and column (the default: nothing is guessed silently).</summary>
    Error = 0,

    /// <summary>The whole row (time step) is left out; a sequence left with no steps is left out too.</summary>
    Drop = 1,

    /// <summary>
    /// The value of the step before in the same sequence (in time order) is carried forward; a sequence whose first
    /// step is empty is an error naming it, since nothing before it may be carried across sequences.
    /// </summary>
    ForwardFill = 2,
}

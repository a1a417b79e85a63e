namespace EdgeLstm.Data.Sequences;

/// <summary>Whether a long-format CSV's target belongs to a whole sequence or to each step.</summary>
public enum TargetPlacement
{
    /// <summary>Per sequence when the target is the same on every row of every sequence, otherwise per step.</summary>
    Auto = 0,

    /// <summary>Per sequence: a sequence whose rows disagree is an error naming it.</summary>
    Sequence = 1,

    /// <summary>Per step, even when constant within each sequence.</summary>
    Step = 2,
}

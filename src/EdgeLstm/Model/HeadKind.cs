namespace EdgeLstm.Model;

/// <summary>What the dense head on top of the recurrent stack predicts, and from which steps.</summary>
public enum HeadKind
{
    /// <summary>Softmax classes from the last step's top output (cross-entropy against an integer label).</summary>
    ClassifyLastStep = 0,

    /// <summary>Softmax classes at every step (one label per step).</summary>
    ClassifyEveryStep = 1,

    /// <summary>Real values from the last step (mean squared error against float targets).</summary>
    RegressLastStep = 2,

    /// <summary>Real values at every step (mean squared error against float targets per step).</summary>
    RegressEveryStep = 3,
}

namespace EdgeLstm.Engine;

/// <summary>What a forward pass is for; it decides what an <see cref="ActivationPlan"/> keeps.</summary>
internal enum EngineMode
{
    /// <summary>Every step of every layer is kept for the backward pass; dropout masks and gradient buffers too.</summary>
    Train,

    /// <summary>Whole sequences, nothing kept beyond what the next step and the next layer read.</summary>
    Infer,

    /// <summary>One step at a time; each layer's state is carried between calls in two slots used in turn.</summary>
    Stream,
}

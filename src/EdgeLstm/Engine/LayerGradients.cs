namespace EdgeLstm.Engine;

/// <summary>Where one layer's backward pass writes: its parameters' gradients (overwritten) and the input's.</summary>
internal unsafe struct LayerGradients
{
    /// <summary>[G·H×I], [G·H×H], [G·H], [G·H], laid out like the model's tensors.</summary>
    public float* WeightIh, WeightHh, BiasIh, BiasHh;

    /// <summary>[T·B×I] gradient w.r.t. the layer input, or null when not wanted.</summary>
    public float* Input;
}

namespace EdgeLstm.Memory;

/// <summary>
/// A float buffer on the pinned object heap, aligned to 64 bytes (a cache line, and one AVX-512 vector), so kernels can
/// hold raw pointers into it across parallel regions and no vector load straddles two lines.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private const int AlignmentFloats = 16;
    private readonly float[] _storage;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _storage = GC.AllocateArray<float>(length + AlignmentFloats, pinned: true);
        fixed (float* start = _storage)
        {
            // The array is pinned for its whole life, so this address stays valid.
            nint misalignment = (nint)start & 63;
            Pointer = misalignment == 0 ? start : start + ((64 - misalignment) / sizeof(float));
        }

        Length = length;
    }

    public float* Pointer { get; }

    public int Length { get; }

    public Span<float> Span => new(Pointer, Length);

    public void Clear() => Span.Clear();
}

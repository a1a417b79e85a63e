namespace EdgeLstm.IO;

/// <summary>The safetensors element types a reader accepts. fp32 models hold only F32; int8 models add I8.</summary>
[Flags]
public enum SafeTensorsDTypes
{
    /// <summary>Little-endian IEEE 754 single precision, 4 bytes, read only if finite.</summary>
    F32 = 1,

    /// <summary>Signed 8-bit integers (quantised weights), 1 byte.</summary>
    I8 = 2,
}

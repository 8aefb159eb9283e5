//! Just enough WAV: read the RIFF `fmt `/`data` chunks, rewrite a streamed header, write silence.
//!
//! espeak-ng writing to a pipe cannot seek back, so its header claims a data size of ~2 GiB; we
//! trust the bytes we actually got and write a correct header, so every consumer (ffmpeg, the
//! browser, the duration we report) agrees.

/// The facts about a PCM WAV file that duration and mixing need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    /// Where the sample data starts in the file.
    pub data_offset: usize,
    /// Bytes of sample data actually present (whole frames only).
    pub data_len: usize,
}

impl WavInfo {
    pub fn block_align(&self) -> usize {
        usize::from(self.channels) * usize::from(self.bits_per_sample).div_ceil(8)
    }

    /// Sample frames (one sample per channel each).
    pub fn frames(&self) -> u64 {
        (self.data_len / self.block_align().max(1)) as u64
    }

    /// Length in milliseconds, rounded to the nearest.
    pub fn duration_ms(&self) -> u64 {
        let rate = u64::from(self.sample_rate.max(1));
        (self.frames() * 1000 + rate / 2) / rate
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads a PCM WAV's format and where its data is. A data chunk that claims more than the file
/// holds (a streamed header) is taken to run to the end of the file.
pub fn parse_wav(bytes: &[u8]) -> Result<WavInfo, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4).ok_or("truncated chunk header")? as usize;
        let body = at + 8;
        match id {
            b"fmt " => {
                let tag = u16_at(bytes, body).ok_or("truncated fmt chunk")?;
                let channels = u16_at(bytes, body + 2).ok_or("truncated fmt chunk")?;
                let rate = u32_at(bytes, body + 4).ok_or("truncated fmt chunk")?;
                let bits = u16_at(bytes, body + 14).ok_or("truncated fmt chunk")?;
                format = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let (tag, channels, sample_rate, bits_per_sample) =
                    format.ok_or("data chunk before the fmt chunk")?;
                // 1 = PCM; 0xFFFE = WAVE_FORMAT_EXTENSIBLE, which is PCM for our purposes.
                if tag != 1 && tag != 0xFFFE {
                    return Err(format!("unsupported WAV format tag {tag}"));
                }
                if channels == 0 || sample_rate == 0 || bits_per_sample == 0 {
                    return Err("WAV format with zero channels, rate or sample size".into());
                }
                let available = bytes.len() - body;
                let mut info = WavInfo {
                    channels,
                    sample_rate,
                    bits_per_sample,
                    data_offset: body,
                    data_len: size.min(available),
                };
                info.data_len -= info.data_len % info.block_align();
                return Ok(info);
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    Err("no data chunk".into())
}

/// A canonical 44-byte-header PCM WAV around `data`.
pub fn pcm_wav(channels: u16, sample_rate: u32, bits_per_sample: u16, data: &[u8]) -> Vec<u8> {
    let block_align = channels * bits_per_sample.div_ceil(8);
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits_per_sample.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Rewrites a WAV (e.g. one streamed with placeholder sizes) with a correct canonical header.
pub fn normalize_wav(bytes: &[u8]) -> Result<(Vec<u8>, WavInfo), String> {
    let info = parse_wav(bytes)?;
    let data = &bytes[info.data_offset..info.data_offset + info.data_len];
    let out = pcm_wav(info.channels, info.sample_rate, info.bits_per_sample, data);
    let info = WavInfo {
        data_offset: 44,
        ..info
    };
    Ok((out, info))
}

/// Silence: 16-bit mono at `sample_rate`, `duration_ms` long.
pub fn silent_wav(duration_ms: u64, sample_rate: u32) -> Vec<u8> {
    let frames = duration_ms * u64::from(sample_rate) / 1000;
    pcm_wav(1, sample_rate, 16, &vec![0u8; frames as usize * 2])
}

/// The samples of a 16-bit PCM WAV (all channels interleaved), or `None` for another format.
pub fn pcm16_samples(bytes: &[u8]) -> Option<Vec<i16>> {
    let info = parse_wav(bytes).ok()?;
    if info.bits_per_sample != 16 {
        return None;
    }
    let data = &bytes[info.data_offset..info.data_offset + info.data_len];
    Some(
        data.chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_round_trips() {
        let wav = silent_wav(1500, 22050);
        let info = parse_wav(&wav).unwrap();
        assert_eq!(
            (info.channels, info.sample_rate, info.bits_per_sample),
            (1, 22050, 16)
        );
        assert_eq!(info.frames(), 33075);
        assert_eq!(info.duration_ms(), 1500);
        assert!(pcm16_samples(&wav).unwrap().iter().all(|s| *s == 0));
    }

    #[test]
    fn streamed_header_is_fixed() {
        let mut wav = pcm_wav(1, 22050, 16, &[1, 0, 2, 0, 3, 0, 4]); // odd trailing byte
        wav[4..8].copy_from_slice(&0x7fff_f024u32.to_le_bytes());
        wav[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        let (fixed, info) = normalize_wav(&wav).unwrap();
        assert_eq!(info.data_len, 6);
        assert_eq!(parse_wav(&fixed).unwrap().data_len, 6);
        assert_eq!(u32_at(&fixed, 4), Some(36 + 6));
        assert_eq!(pcm16_samples(&fixed).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn skips_unknown_chunks_and_rejects_junk() {
        let plain = pcm_wav(2, 8000, 16, &[0; 16]);
        let mut with_list = plain[..36].to_vec();
        with_list.extend_from_slice(b"LIST");
        with_list.extend_from_slice(&3u32.to_le_bytes());
        with_list.extend_from_slice(&[9, 9, 9, 0]); // 3 bytes + pad
        with_list.extend_from_slice(&plain[36..]);
        let info = parse_wav(&with_list).unwrap();
        assert_eq!((info.channels, info.frames()), (2, 4));
        assert!(parse_wav(b"not a wav at all").is_err());
        assert!(parse_wav(&plain[..36]).is_err());
    }
}

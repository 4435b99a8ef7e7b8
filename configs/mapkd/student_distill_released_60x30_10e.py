# Stage 3 from the RELEASED teacher and coach (converted with tools/convert_checkpoint.py):
#   python tools/download_checkpoints.py teacher coach
#   python tools/convert_checkpoint.py --arch teacher checkpoints/mapkd_teacher.pt checkpoints/mapkd_teacher_60x30.pth
#   python tools/convert_checkpoint.py --arch coach checkpoints/mapkd_coach.pt checkpoints/mapkd_coach_60x30.pth
_base_ = ['./student_distill_60x30_10e.py']
model = dict(teachers=dict(
    teacher=dict(config='configs/mapkd/teacher_60x30_30e.py', checkpoint='checkpoints/mapkd_teacher_60x30.pth'),
    coach=dict(config='configs/mapkd/coach_60x30_10e.py', checkpoint='checkpoints/mapkd_coach_60x30.pth')))
